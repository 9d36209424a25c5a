"""Evidence points at the phrase that carries the label (issue 16, point 12): on the 75
hand-annotated infringing dev posts of benchmarks/evidence_phrases.jsonl, the shipped model's
strongest span overlaps the annotated harmful phrase in most posts, and its spans overlap it
clearly more often than spans of the same lengths placed at random.

With single-word occlusion (the method before) the figures were top-1 0.60 and span precision
0.56 against 0.52 by chance; with spans scored on their own, 0.75 and 0.72 against 0.59."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.behaviour

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "evidence_overlap.py"


@pytest.fixture()
def one_thread():
    """One torch thread: on a busy shared machine more threads run this slower, not faster."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_evidence_overlaps_the_annotated_harmful_phrase(shipped, one_thread):
    spec = importlib.util.spec_from_file_location("evidence_overlap", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = bench.evaluate(shipped, bench.load_rows())
    print(f"\n[behaviour] evidence: {res}")
    assert res["posts"] == 75
    assert res["top1_hit"] >= 0.70, res
    assert res["span_precision"] >= res["chance_span_precision"] + 0.08, res
