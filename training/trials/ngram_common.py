"""Steps shared by the n-gram half trials (ngram_features, ngram_names, negative_cleaning): the BERT
half scored once per cache folder, and the figures of an n-gram model alone and in its best mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..combine import _sigmoid, bert_logits, choose_mix, mixed_logits
from ..evaluate import real_post_figures, rumours_flagged_at_false_alarms
from ..metrics import compute_metrics, predict_sets


def cached_bert_logits(clf, clean: dict[str, list[str]], cache: Path) -> dict[str, np.ndarray]:
    """The BERT half's calibrated logits of each named set of normalised texts; sets already in
    `cache` (same name, same size) are not scored again, so trials can share one cache folder."""
    f = Path(cache) / "bert_logits.npz"
    have = dict(np.load(f)) if f.exists() else {}
    missing = {k: v for k, v in clean.items() if k not in have or len(have[k]) != len(v)}
    if missing:
        have.update(bert_logits(clf, missing))
        np.savez(f, **have)
    return {k: have[k] for k in clean}


def alone_and_mix(bert: dict, gram: dict, y_dev: np.ndarray, labels) -> list[tuple[str, dict, dict]]:
    """(name, `choose_mix` row, logits of every set) of the n-gram model alone (w = 1) and of its
    best mix with the BERT (weight, temperature and thresholds on dev, as training.combine chooses)."""
    grid, best = choose_mix(bert["dev"], gram["dev"], y_dev, labels)
    return [(name, row, mixed_logits(bert, gram, row)) for name, row in (("n-gram alone", grid[-1]), ("mix", best))]


def figures(row: dict, z: dict, y_test: np.ndarray, labels, real: list[dict]) -> dict:
    """Test macro-F1, the real-post figures at the row's thresholds and the share of real
    enterprise rumours flagged at 3% real false alarms (threshold-free) of one system's logits."""
    thr = row["thresholds"]
    f = {"test_macro_f1": compute_metrics(y_test, predict_sets(_sigmoid(z["test"]), thr), labels)["macro_f1"],
         **real_post_figures(_sigmoid(z["real"]), thr, real)}
    f["er_at_3"] = rumours_flagged_at_false_alarms(z["real"], real)
    return f
