"""After fine-tuning: one temperature fitted on dev, per-label thresholds on the calibrated scores,
and the dev (and test) figures of the finished classifier."""

from __future__ import annotations

import logging
import math

import numpy as np

from rumorclf.normalize import normalize_text

from .data import Example, multi_hot
from .metrics import compute_metrics, expected_calibration_error, predict_sets, tune_thresholds

log = logging.getLogger("rumorclf.train")


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """One temperature for all labels minimising dev log-loss of sigmoid(logit / T) (Guo et al. 2017)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 61))
    best, best_t = math.inf, 1.0
    for t in grid:
        p = np.clip(1.0 / (1.0 + np.exp(-logits / t)), 1e-7, 1 - 1e-7)
        nll = -float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def calibrate_on_dev(clf, dev_ex: list[Example], calibrate: bool = True,
                     tune: bool = True) -> tuple[np.ndarray, dict, int]:
    """Set clf.temperature and clf.thresholds from dev, scored with the classifier's own windows.

    Returns (thresholds, dev metrics with ECE before and after, dev posts spanning more than one window).
    """
    labels, taxonomy = clf.labels, clf.taxonomy
    dev_texts = [e.text for e in dev_ex]
    y_dev = multi_hot(dev_ex, labels)
    dev_logits = clf.score_texts(dev_texts, logits=True)
    clf.temperature = fit_temperature(dev_logits, y_dev) if calibrate else 1.0
    dev_scores = 1.0 / (1.0 + np.exp(-dev_logits / clf.temperature))
    dev_hn = np.array([e.hard_negative for e in dev_ex])
    thresholds = tune_thresholds(y_dev, dev_scores) if tune else np.full(len(labels), 0.5)
    clf.thresholds = dict(zip(labels, map(float, thresholds)))
    dev = compute_metrics(y_dev, predict_sets(dev_scores, thresholds), labels,
                          [taxonomy.family_of(x) for x in labels], dev_hn)
    raw = 1.0 / (1.0 + np.exp(-dev_logits))
    dev["ece"] = round(expected_calibration_error(y_dev, dev_scores), 4)
    dev["ece_uncalibrated"] = round(expected_calibration_error(y_dev, raw), 4)
    multi = int(sum(n > 1 for n in clf.score_normalized([normalize_text(t) for t in dev_texts])[1]))
    log.info("dev: temperature %.3f, ECE %.4f (before %.4f); %d of %d dev posts span more than one window",
             clf.temperature, dev["ece"], dev["ece_uncalibrated"], multi, len(dev_texts))
    return thresholds, dev, multi


def score_test_set(clf, test_ex: list[Example], thresholds) -> dict:
    """Figures on a test set, reported only: nothing in training looked at it."""
    labels = clf.labels
    scores = clf.predict_proba([e.text for e in test_ex])
    return compute_metrics(multi_hot(test_ex, labels), predict_sets(scores, thresholds), labels,
                           [clf.taxonomy.family_of(x) for x in labels],
                           np.array([e.hard_negative for e in test_ex]))
