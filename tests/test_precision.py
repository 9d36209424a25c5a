"""precision="auto" can choose by batch size (issue 16, point 15): on a CPU with native bf16, batches
of fewer than BF16_MIN_ROWS rows run in fp32, larger ones in bf16. The default (1: bf16 for every
batch) is what benchmarks/bench_precision.py measured on this project's CPU; speed is measured
there, not here."""

import numpy as np
import pytest
import torch

from rumorclf import _runtime
from rumorclf.backends import torch as classifier  # TorchEncoder and BF16_MIN_ROWS live here (issue 17)
from rumorclf.backends.torch import BF16_MIN_ROWS, TorchEncoder


class AutocastProbe(torch.nn.Module):
    """Records whether bf16 autocast was on for each call; returns zero logits."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, input_ids, attention_mask):
        self.seen.append(torch.is_autocast_enabled("cpu"))
        return type("Out", (), {"logits": torch.zeros(len(input_ids), 15)})()


@pytest.fixture()
def native_bf16(monkeypatch):
    monkeypatch.setattr(_runtime, "bf16_fast_on_cpu", lambda: True)


def _run(precision, rows):
    probe = AutocastProbe()
    enc = TorchEncoder(probe, "cpu", precision)
    ids = np.ones((rows, 8), dtype=np.int64)
    assert enc(ids, ids).shape == (rows, 15)
    return probe.seen[-1]


@pytest.mark.parametrize("rows", [1, 2, 8, 32])
def test_auto_uses_bf16_from_min_rows_up(native_bf16, monkeypatch, rows):
    assert _run("auto", rows) is (rows >= BF16_MIN_ROWS)
    monkeypatch.setattr(classifier, "BF16_MIN_ROWS", 4)  # a CPU where fp32 wins small batches
    assert _run("auto", rows) is (rows >= 4)


def test_forced_precisions_ignore_batch_size(native_bf16):
    assert _run("bf16", 1) is True
    assert _run("fp32", 32) is False


def test_auto_without_native_bf16_is_fp32(monkeypatch):
    monkeypatch.setattr(_runtime, "bf16_fast_on_cpu", lambda: False)
    assert _run("auto", 32) is False
