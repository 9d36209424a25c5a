"""The character n-gram half of a combined model: TF-IDF char n-grams + one logistic regression
per label, scored with numpy alone (no scikit-learn at inference, no pickle).

A model directory may hold, next to the BERT, `ngram.safetensors` (idf, coef, intercept) and
`ngram_vocab.json` (the n-grams, in feature order), described by the "ngram" entry of
`rumorclf.json`. The classifier then scores a post as

    score = sigmoid(((1 - w) * bert_logit / T + w * ngram_logit) / T_mix)

with w, T_mix chosen on dev by `training.combine` (issue 14: the ship gate allows a BERT + n-gram
combination when the BERT alone loses to the TF-IDF baseline). The features are computed exactly
as scikit-learn's `TfidfVectorizer(analyzer="char", sublinear_tf=True, norm="l2")` computes them, so
a model fitted there scores the same here (tests/test_ngram.py checks it against scikit-learn).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

WEIGHTS_NAME = "ngram.safetensors"
VOCAB_NAME = "ngram_vocab.json"
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's char analyzer collapses runs of whitespace


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """The char n-grams scikit-learn's analyzer="char" yields (lowercasing is the caller's)."""
    text = _WHITE_SPACES.sub(" ", text)
    n_chars = len(text)
    grams = list(text) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, n_chars) + 1):
        grams.extend(text[i:i + n] for i in range(n_chars - n + 1))
    return grams


class CharNgramScorer:
    """Per-label logits of TF-IDF char n-gram features under a linear model."""

    def __init__(self, vocab: Sequence[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 ngram_range=(1, 3), lowercase: bool = True, sublinear_tf: bool = True,
                 window: int = 0, stride: int = 0, window_margin: float | None = None):
        self.vocab = list(vocab)
        self.index = {g: i for i, g in enumerate(self.vocab)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.coef = np.asarray(coef, dtype=np.float32)  # (n_features, n_labels)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.lowercase = bool(lowercase)
        self.sublinear_tf = bool(sublinear_tf)
        # window > 0: a longer text scores its most suspicious stretch of `window` characters
        # (overlapping by `stride`), as the BERT scores its most suspicious window: one infringing
        # sentence in a long post is not averaged away by the TF-IDF normalisation
        self.window, self.stride = int(window), int(stride)
        if self.window < 0 or not 0 <= self.stride < max(self.window, 1):
            raise ValueError(f"n-gram window {window} / stride {stride}: need window >= 0 and 0 <= stride < window")
        # window_margin set: the whole text is scored too, and a window counts `window_margin` logits
        # less than its own score, so a long post is flagged by its whole text or by one stretch
        # clearly over the cut: embedded sentences are kept without the false alarms of windows alone
        self.window_margin = None if window_margin is None else float(window_margin)
        if self.window_margin is not None and (self.window_margin < 0 or not self.window):
            raise ValueError(f"n-gram window margin {window_margin}: needs a window and a margin >= 0")
        n = len(self.vocab)
        if len(self.index) != n:
            raise ValueError("the n-gram vocabulary has duplicate entries")
        if self.idf.shape != (n,) or self.coef.shape[0] != n or self.coef.shape[1:] != self.intercept.shape:
            raise ValueError(f"n-gram weights do not fit: {n} n-grams, idf {self.idf.shape}, "
                             f"coef {self.coef.shape}, intercept {self.intercept.shape}")

    @property
    def n_labels(self) -> int:
        return self.coef.shape[1]

    # ------------------------------------------------------------------ from scikit-learn / files
    @classmethod
    def from_sklearn(cls, vectorizer, classifier) -> CharNgramScorer:
        """From a fitted TfidfVectorizer(analyzer="char") and a OneVsRestClassifier of
        LogisticRegression (or one multi-output linear model with coef_/intercept_)."""
        if vectorizer.analyzer != "char" or vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("only TfidfVectorizer(analyzer='char', norm='l2', use_idf=True) is supported")
        if vectorizer.strip_accents or vectorizer.preprocessor:
            raise ValueError("strip_accents / preprocessor are not reproduced at inference")
        vocab = [None] * len(vectorizer.vocabulary_)
        for gram, i in vectorizer.vocabulary_.items():
            vocab[i] = gram
        if hasattr(classifier, "estimators_"):
            coef = np.zeros((len(vocab), len(classifier.estimators_)), dtype=np.float32)
            intercept = np.zeros(len(classifier.estimators_), dtype=np.float32)
            for j, e in enumerate(classifier.estimators_):
                if hasattr(e, "coef_"):
                    coef[:, j], intercept[j] = e.coef_.ravel(), float(np.ravel(e.intercept_)[0])
                else:  # a label that was always (or never) present in training: a constant score
                    intercept[j] = 30.0 if float(np.ravel(e.y_)[0]) > 0.5 else -30.0
        else:
            coef, intercept = np.asarray(classifier.coef_).T, np.ravel(classifier.intercept_)
        return cls(vocab, vectorizer.idf_, coef, intercept, vectorizer.ngram_range,
                   vectorizer.lowercase, vectorizer.sublinear_tf)

    def config(self) -> dict:
        return {"weights": WEIGHTS_NAME, "vocab": VOCAB_NAME, "analyzer": "char",
                "ngram_range": list(self.ngram_range), "lowercase": self.lowercase,
                "sublinear_tf": self.sublinear_tf, "window": self.window, "stride": self.stride,
                **({} if self.window_margin is None else {"window_margin": self.window_margin}),
                "n_features": len(self.vocab)}

    def save(self, path: str | Path) -> dict:
        """Write the weights (coef in fp16: ~6 MB for 200k n-grams) and vocabulary; return the config."""
        from safetensors.numpy import save_file

        path = Path(path)
        save_file({"idf": self.idf, "coef": self.coef.astype(np.float16), "intercept": self.intercept},
                  str(path / WEIGHTS_NAME))
        (path / VOCAB_NAME).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        return self.config()

    @classmethod
    def load(cls, path: str | Path, cfg: dict) -> CharNgramScorer:
        from safetensors.numpy import load_file

        from .modeldir import ModelDirError

        path = Path(path)
        if cfg.get("analyzer", "char") != "char":
            raise ModelDirError(f"{path}: n-gram analyzer {cfg.get('analyzer')!r} is not supported")
        weights, vocab = path / cfg.get("weights", WEIGHTS_NAME), path / cfg.get("vocab", VOCAB_NAME)
        for f in (weights, vocab):
            if not f.exists():
                raise ModelDirError(f"{path / 'rumorclf.json'} names an n-gram model but {f.name} is missing")
        t = load_file(str(weights))
        return cls(json.loads(vocab.read_text(encoding="utf-8")), t["idf"], t["coef"], t["intercept"],
                   cfg.get("ngram_range", (1, 3)), cfg.get("lowercase", True), cfg.get("sublinear_tf", True),
                   cfg.get("window", 0), cfg.get("stride", 0), cfg.get("window_margin"))

    # ------------------------------------------------------------------ scoring
    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, l2-normalised TF-IDF values) of one text."""
        if self.lowercase:
            text = text.lower()
        index = self.index
        ids = [j for j in map(index.get, char_ngrams(text, *self.ngram_range)) if j is not None]
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        feats, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        tf = counts.astype(np.float32)
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        v = tf * self.idf[feats]
        return feats, v / np.linalg.norm(v)

    def _logit(self, text: str) -> np.ndarray:
        feats, v = self.features(text)
        return self.intercept + v @ self.coef[feats]

    def pieces(self, text: str) -> list[str]:
        """The stretches a text is scored on: itself, or its overlapping windows."""
        if not self.window or len(text) <= self.window:
            return [text]
        step = self.window - self.stride
        last = len(text) - self.window
        return [text[s:s + self.window] for s in [*range(0, last, step), last]]

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """(n, n_labels) decision values of already-normalised texts: max over windows, if set, and
        with a window margin the larger of the whole text's and (windows' - margin)."""
        out = np.empty((len(texts), self.n_labels), dtype=np.float32)
        for i, text in enumerate(texts):
            pieces = self.pieces(text)
            out[i] = np.max([self._logit(piece) for piece in pieces], axis=0)
            if self.window_margin is not None and len(pieces) > 1:
                out[i] = np.maximum(self._logit(text), out[i] - self.window_margin)
        return out
