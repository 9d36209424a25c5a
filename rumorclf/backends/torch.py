"""The torch backend: the Hugging Face model on padded id batches (bf16 where the CPU is fast at it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["BF16_MIN_ROWS", "TorchEncoder", "load_torch_model"]

# precision="auto" on a CPU with native bf16: bf16 autocast from this many rows of a batch up, fp32
# below. 1 = bf16 for every batch: on this project's 2-core EPYC (AVX512-BF16) bf16 was as fast or
# faster at every shape measured, single posts included (benchmarks/bench_precision.py on the
# busy machine: 0.72-0.89x the fp32 time at one row, 0.51-0.82x at 2-32 rows, one thread, CPU
# time; 0.88-0.98x at one row with two threads). Raise it where that benchmark shows fp32 winning
# small batches (autocast casts the weights to bf16 on every call).
BF16_MIN_ROWS = 1


def load_torch_model(path: str | Path):
    """The fp32 sequence-classification model of a model directory: safetensors only, no remote code."""
    import torch
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(
        str(path), trust_remote_code=False, use_safetensors=True, dtype=torch.float32)


class TorchEncoder:
    """Runs the Hugging Face model on padded id batches; returns logits as float32 numpy.

    precision "auto": bf16 autocast on CUDA, and on a CPU with native bf16 for batches of at least
    `BF16_MIN_ROWS` rows; fp32 otherwise. "fp32" / "bf16" force one."""

    name = "torch"

    def __init__(self, model, device: str = "cpu", precision: str = "auto"):
        import torch

        self.torch = torch
        self.model = model.to(device).eval()
        self.device = device
        if precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
        self.precision = precision

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        from .._runtime import autocast_context

        torch = self.torch
        if self.precision == "auto":
            enabled = None if len(input_ids) >= BF16_MIN_ROWS or self.device != "cpu" else False
        else:
            enabled = self.precision == "bf16"
        with torch.inference_mode(), autocast_context(self.device, enabled):
            out = self.model(input_ids=torch.from_numpy(input_ids).to(self.device),
                             attention_mask=torch.from_numpy(attention_mask).to(self.device))
        return out.logits.float().cpu().numpy()
