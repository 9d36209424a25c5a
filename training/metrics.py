"""Multi-label metrics (scikit-learn) and per-label threshold tuning."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


def predict_sets(scores: np.ndarray, thresholds: np.ndarray | float) -> np.ndarray:
    return (scores >= np.asarray(thresholds, dtype=np.float32)).astype(np.int8)


def tune_thresholds(y: np.ndarray, scores: np.ndarray, grid=THRESHOLD_GRID, default: float = 0.5) -> np.ndarray:
    """Per label, the threshold that maximises F1 on (dev) data; ties go to the one nearest 0.5.

    A label with no positive example keeps `default`.
    """
    out = np.full(y.shape[1], default, dtype=np.float32)
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            continue
        best = (-1.0, 0.0, default)
        for t in grid:
            f = f1_score(y[:, j], scores[:, j] >= t, zero_division=0)
            key = (round(f, 6), -abs(t - 0.5), float(t))
            if key > best:
                best = key
        out[j] = best[2]
    return out


def expected_calibration_error(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    """ECE over all (post, label) scores: |mean score - share positive| per equal-width bin, weighted."""
    y, s = np.asarray(y).ravel(), np.asarray(scores).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(s, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            ece += sel.mean() * abs(float(s[sel].mean()) - float(y[sel].mean()))
    return float(ece)


def compute_metrics(y: np.ndarray, pred: np.ndarray, labels: list[str], families: list[str] | None = None,
                    hard_negative: np.ndarray | None = None) -> dict:
    """Per-label P/R/F1, micro/macro F1, family F1, false-positive rates, confused pairs."""
    p, r, f, s = precision_recall_fscore_support(y, pred, zero_division=0)
    out = {
        "posts": int(len(y)),
        "micro_f1": float(f1_score(y, pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "per_label": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, lab in enumerate(labels)},
    }
    normal = y.sum(1) == 0
    flagged = pred.sum(1) > 0
    out["normal_posts"] = int(normal.sum())
    out["fpr_normal"] = float(flagged[normal].mean()) if normal.any() else float("nan")
    if hard_negative is not None:
        hn = normal & hard_negative.astype(bool)
        out["hard_negative_posts"] = int(hn.sum())
        out["fpr_hard_negative"] = float(flagged[hn].mean()) if hn.any() else float("nan")
        easy = normal & ~hard_negative.astype(bool)
        out["fpr_other_normal"] = float(flagged[easy].mean()) if easy.any() else float("nan")
    positive = ~normal
    out["recall_any_positive"] = float(flagged[positive].mean()) if positive.any() else float("nan")
    out["exact_match"] = float((y == pred).all(1).mean())
    if families:
        fam_ids = sorted(set(families))
        fy = np.stack([y[:, [i for i, x in enumerate(families) if x == fam]].max(1) for fam in fam_ids], 1)
        fp = np.stack([pred[:, [i for i, x in enumerate(families) if x == fam]].max(1) for fam in fam_ids], 1)
        ff = f1_score(fy, fp, average=None, zero_division=0)
        out["family_f1"] = {fam: float(v) for fam, v in zip(fam_ids, ff)}
        out["family_macro_f1"] = float(np.mean(ff))
    out["confused_pairs"] = confused_pairs(y, pred, labels)
    return out


def confused_pairs(y: np.ndarray, pred: np.ndarray, labels: list[str], top: int = 10) -> list[dict]:
    """Most frequent (true label, wrongly predicted label) pairs; 'normal' stands for the empty set."""
    c: Counter = Counter()
    for t, p in zip(y.astype(bool), pred.astype(bool)):
        true = [labels[i] for i in np.flatnonzero(t)] or ["normal"]
        wrong = [labels[i] for i in np.flatnonzero(p & ~t)]
        missed = [labels[i] for i in np.flatnonzero(t & ~p)]
        for w in wrong:
            for tl in true:
                if tl != w:
                    c[(tl, w)] += 1
        if missed and not p.any():
            for m in missed:
                c[(m, "normal")] += 1
    return [{"true": a, "predicted": b, "count": n} for (a, b), n in c.most_common(top)]
