"""`RumorClassifier`: load a model directory, classify posts, save.

A model directory is a plain Hugging Face directory (config.json, model.safetensors, tokenizer
files) plus `rumorclf.json` (taxonomy, thresholds, window settings, normaliser version, metrics)
and a generated README.md model card; a combined model also holds a char n-gram linear model
(`ngram.safetensors`, `ngram_vocab.json`: rumorclf/ngram.py).

The path of a post: normalize -> fast tokenizer with overflow windows -> windows sorted by length
and batched with dynamic padding -> encoder (bf16 autocast where the CPU does bf16 natively)
-> max over a post's windows -> (mixed with the n-gram logits, if any) -> sigmoid -> per-label
thresholds -> `Prediction`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._runtime import release_free_memory
from .modeldir import (
    CONFIG_NAME,
    ModelDirError,
    default_model_path,
    read_model_config,
    validate_model_dir,
    write_model_card,
)
from .normalize import NORMALIZER_VERSION, normalize
from .schema import Prediction
from .taxonomy import Taxonomy, TaxonomyError

__all__ = ["Prediction", "RumorClassifier", "TorchEncoder"]


def __getattr__(name):  # names that moved to backends/torch.py, without importing it eagerly
    if name in ("TorchEncoder", "BF16_MIN_ROWS"):
        from .backends import torch as torch_backend

        return getattr(torch_backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_texts(texts) -> list[str]:
    """Accept a sequence of str; name the position of the first non-string."""
    if isinstance(texts, str):
        raise TypeError("predict() expects a list of posts, not a single str; wrap it: [text]")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, expected str")
    return texts


# What a fast tokenizer keeps from being called with truncation (our sliding windows): the Rust
# backend's truncation settings, and their copies in init_kwargs. Saved, they would make the
# model's tokenizer.json truncate every text to one window for anyone using it directly.
_TOKENIZER_CALL_STATE = ("max_length", "stride", "truncation_strategy")


def _clear_call_state(tokenizer) -> None:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        backend.no_truncation()
        backend.no_padding()
    for key in _TOKENIZER_CALL_STATE:
        tokenizer.init_kwargs.pop(key, None)


class RumorClassifier:
    """Multi-label classifier of enterprise-targeting infringement in Chinese posts.

    >>> clf = RumorClassifier.from_pretrained()          # the packaged default model
    >>> clf.predict(["鑫达科技老板跑路了，工厂已经停工！"])[0].labels
    """

    def __init__(self, model, tokenizer, taxonomy: Taxonomy, thresholds: dict[str, float] | None = None,
                 max_length: int = 128, stride: int = 32, device: str = "cpu", precision: str = "auto",
                 meta: dict | None = None, encoder=None, ngram=None):
        self.model = model
        self.tokenizer = tokenizer
        self.taxonomy = taxonomy
        self.labels = taxonomy.labels
        self.thresholds = {lab: 0.5 for lab in self.labels}
        unknown = set(thresholds or {}) - set(self.labels)
        if unknown:
            raise TaxonomyError(f"thresholds given for labels the model does not have: {sorted(unknown)}")
        self.thresholds.update(thresholds or {})
        self.max_length = int(max_length)
        self.stride = int(stride)
        if not 0 <= self.stride < self.max_length - 2:
            raise ValueError(f"window stride {stride} must be below max_length - 2 = {self.max_length - 2}")
        self.meta = dict(meta or {})
        # temperature scaling (chosen on dev when the model was trained): score = sigmoid(logit / T)
        self.temperature = float(self.meta.get("temperature", 1.0))
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if encoder is None:
            from .backends.torch import TorchEncoder

            encoder = TorchEncoder(model, device, precision)
        self.encoder = encoder
        # optional char n-gram half of a combined model (rumorclf/ngram.py; meta["ngram"] holds its
        # mixing weight and temperature, chosen on dev by training.combine)
        self.ngram = ngram
        mix = self.meta.get("ngram") or {}
        self.ngram_weight = float(mix.get("weight", 0.0)) if ngram is not None else 0.0
        self.mix_temperature = float(mix.get("temperature", 1.0)) if ngram is not None else 1.0
        if not 0.0 <= self.ngram_weight <= 1.0 or not self.mix_temperature > 0:
            raise ValueError(f"n-gram weight must be in [0, 1] and its temperature positive, got {mix}")
        if ngram is not None and ngram.n_labels != len(self.labels):
            raise TaxonomyError(f"n-gram model has {ngram.n_labels} outputs but the taxonomy has "
                                f"{len(self.labels)} labels")
        n_out = getattr(getattr(model, "config", None), "num_labels", len(self.labels))
        if model is not None and n_out != len(self.labels):
            raise TaxonomyError(f"model has {n_out} outputs but the taxonomy has {len(self.labels)} labels")

    # ------------------------------------------------------------------ loading and saving
    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, *, taxonomy: str | Path | Taxonomy | None = None,
                        device: str = "cpu", precision: str = "auto", backend: str = "torch",
                        threads: int | None = None) -> RumorClassifier:
        """Load a model directory (None = the packaged default model).

        `taxonomy`: check the model against this taxonomy (a file, or a Taxonomy); a model whose
        labels differ raises TaxonomyError. By default the taxonomy recorded in the model is used.
        Weights are read from safetensors only; remote code is never trusted.
        """
        path = Path(path) if path is not None else default_model_path()
        validate_model_dir(path)
        if threads:
            import torch

            torch.set_num_threads(int(threads))
        cfg = read_model_config(path)
        model_tax = Taxonomy.from_dict(cfg["taxonomy"])
        model_tax.check_model_labels(cfg["labels"], where=f"the labels list of {path / 'rumorclf.json'}")
        tax = model_tax
        if taxonomy is not None:
            tax = Taxonomy.load(taxonomy)
            tax.check_model_labels(model_tax.labels, where=f"model {path}")
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
        from .backends import load_encoder

        model, encoder = load_encoder(backend, path, device=device, precision=precision, threads=threads)
        if model is not None:
            id2label = [model.config.id2label[i] for i in range(model.config.num_labels)]
            tax.check_model_labels(id2label, where=f"config.json of {path}")
        ngram = None
        if cfg.get("ngram"):
            from .ngram import CharNgramScorer

            ngram = CharNgramScorer.load(path, cfg["ngram"])
        clf = cls(model, tokenizer, tax, cfg.get("thresholds"), cfg.get("max_length", 128),
                  cfg.get("stride", 32), device, precision, meta=cfg, encoder=encoder, ngram=ngram)
        clf.path = path
        return clf

    def save_pretrained(self, path: str | Path, *, half: bool = True, card_extra: str = "") -> Path:
        """Write a complete model directory; `half` stores weights as fp16 (half the size)."""
        if self.model is None:
            raise ModelDirError("save_pretrained needs the torch backend (ONNX models are exported, not saved)")
        import torch

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        model = self.model
        model.config.id2label = dict(enumerate(self.labels))
        model.config.label2id = {lab: i for i, lab in enumerate(self.labels)}
        model.config.problem_type = "multi_label_classification"
        if half:
            import copy

            model = copy.deepcopy(model).to(torch.float16)
        model.save_pretrained(str(path))
        _clear_call_state(self.tokenizer)  # every call sets truncation again, so nothing is lost
        self.tokenizer.save_pretrained(str(path))
        cfg = {k: v for k, v in self.meta.items() if k not in ("taxonomy", "labels", "thresholds")}
        cfg.update({
            "format": 1,
            "labels": self.labels,
            "thresholds": {k: round(float(v), 4) for k, v in self.thresholds.items()},
            "max_length": self.max_length,
            "stride": self.stride,
            "normalizer_version": NORMALIZER_VERSION,
            "temperature": round(self.temperature, 4),
            "taxonomy": self.taxonomy.to_dict(),
        })
        if self.ngram is not None:
            cfg["ngram"] = {**self.ngram.save(path), "weight": round(self.ngram_weight, 4),
                            "temperature": round(self.mix_temperature, 4)}
        else:
            cfg.pop("ngram", None)
        (path / CONFIG_NAME).write_text(json.dumps(cfg, ensure_ascii=False, indent=1), encoding="utf-8")
        write_model_card(path, cfg, extra=card_extra)
        return path

    # ------------------------------------------------------------------ inference
    def threshold_vector(self, threshold=None) -> np.ndarray:
        """The thresholds `predict(threshold=...)` applies, one per label in `labels` order: the
        model's own (None), one float for all, or a dict overriding some labels."""
        if threshold is None:
            return np.array([self.thresholds[lab] for lab in self.labels], dtype=np.float32)
        if isinstance(threshold, dict):
            unknown = set(threshold) - set(self.labels)
            if unknown:
                raise TaxonomyError(f"threshold given for unknown labels {sorted(unknown)}")
            return np.array([threshold.get(lab, self.thresholds[lab]) for lab in self.labels], dtype=np.float32)
        t = float(threshold)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {t}")
        return np.full(len(self.labels), t, dtype=np.float32)

    _thresholds = threshold_vector  # former private name

    def score_normalized(self, clean: list[str], batch_size: int = 32, progress=None,
                         logits: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Scores (n, n_labels) and window counts (n,) for already-normalised texts.

        The one scoring path: prediction, training's dev selection and threshold tuning,
        evaluation and explanations all call it, so thresholds are tuned on the scores users get.
        Each post is cut into overlapping windows (max_length, stride); a post scores its most
        suspicious window. A combined model then mixes in its char n-gram logits (whole post):
        sigmoid(((1 - w) * logit / T + w * ngram_logit) / T_mix). Empty texts score 0.
        `logits=True` returns the encoder's max window logits before temperature, sigmoid and any
        n-gram mixing (what calibration of the encoder fits).
        """
        n = len(clean)
        pooled = np.full((n, len(self.labels)), -np.inf, dtype=np.float32)
        n_windows = np.zeros(n, dtype=np.int32)
        live = [i for i, t in enumerate(clean) if t.strip()]
        if not live:
            return (np.full_like(pooled, -30.0) if logits else np.zeros_like(pooled)), n_windows
        enc = self.tokenizer([clean[i] for i in live], truncation=True, max_length=self.max_length,
                             stride=self.stride, return_overflowing_tokens=True, padding=False,
                             return_token_type_ids=False, return_attention_mask=False)
        win_ids = enc["input_ids"]
        owner = np.asarray([live[j] for j in enc["overflow_to_sample_mapping"]])
        np.add.at(n_windows, owner, 1)
        order = np.argsort([len(w) for w in win_ids], kind="stable")  # length buckets: little padding
        pad = self.tokenizer.pad_token_id or 0
        win_logits = np.empty((len(win_ids), len(self.labels)), dtype=np.float32)
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            # widths rounded up to a multiple of 32: a few tensor sizes recur instead of ~100, so
            # freed buffers get reused and the heap fragments less (RSS on 5,000 posts: 1.6 -> 0.75 GB)
            width = min(-(-max(len(win_ids[i]) for i in idx) // 32) * 32, self.max_length)
            # rows likewise rounded up to a power of two (the last, partial batch of every call
            # otherwise brings a new shape each time, and RSS grew ~2 MB per 1,000 posts with it)
            rows = min(1 << (len(idx) - 1).bit_length(), batch_size)
            ids = np.full((rows, width), pad, dtype=np.int64)
            mask = np.zeros((rows, width), dtype=np.int64)
            mask[len(idx):, 0] = 1  # filler rows attend to one pad token; their scores are dropped
            for r, i in enumerate(idx):
                ids[r, :len(win_ids[i])] = win_ids[i]
                mask[r, :len(win_ids[i])] = 1
            win_logits[idx] = self.encoder(ids, mask)[:len(idx)]
            if (s // batch_size) % 8 == 7:
                release_free_memory()
            if progress is not None:
                progress(len(idx))
        # a post scores its most suspicious window (max of logits = max of scores: sigmoid is monotone)
        np.maximum.at(pooled, owner, win_logits)
        release_free_memory()
        if logits:
            pooled[np.isinf(pooled)] = -30.0  # empty posts: a logit whose sigmoid is 0
            return pooled, n_windows
        z = pooled[live] / self.temperature
        if self.ngram is not None:
            z = ((1.0 - self.ngram_weight) * z
                 + self.ngram_weight * self.ngram.logits([clean[i] for i in live])) / self.mix_temperature
        scores = np.zeros_like(pooled)
        scores[live] = 1.0 / (1.0 + np.exp(-z))
        return scores, n_windows

    _score = score_normalized  # older private name, kept for callers outside the package

    def score_texts(self, texts: Sequence[str], batch_size: int = 32, logits: bool = False) -> np.ndarray:
        """(n, n_labels) scores (or max window logits) of raw texts, normalised as in predict()."""
        texts = check_texts(texts)
        return self.score_normalized([normalize(t).text for t in texts], batch_size, logits=logits)[0]

    def predict_proba(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(n, n_labels) array of per-category scores, columns in `self.labels` order."""
        return self.score_texts(texts, batch_size)

    def predict(self, texts: Sequence[str], batch_size: int = 32, threshold: float | dict | None = None,
                explain: bool = False, targets=None) -> list[Prediction]:
        """Classify posts. `threshold`: None (the model's per-label thresholds), one float for
        all labels, or a {label: threshold} dict overriding some. `explain=True` adds evidence
        spans (character offsets into the original text) for each predicted label. `targets`: a
        `rumorclf.analysis.targets.TargetFinder` to name the enterprises each post is about."""
        texts = check_texts(texts)
        thr = self.threshold_vector(threshold)
        norms = [normalize(t) for t in texts]
        scores, n_windows = self.score_normalized([nt.text for nt in norms], batch_size)
        preds = [self._prediction(nt, row, thr, int(w)) for nt, row, w in zip(norms, scores, n_windows)]
        if explain:
            from .analysis.explain import explain_predictions

            explain_predictions(self, norms, preds, scores)
        if targets is not None:
            for nt, p in zip(norms, preds):
                p.targets = targets.find(nt)
        return preds

    def _prediction(self, nt, row: np.ndarray, thr: np.ndarray, windows: int) -> Prediction:
        empty = not nt.text.strip()
        labels = [] if empty else [lab for lab, s, t in zip(self.labels, row, thr) if s >= t]
        fam_scores: dict[str, float] = {}
        for lab, s in zip(self.labels, row):
            fam = self.taxonomy.family_of(lab)
            fam_scores[fam] = max(fam_scores.get(fam, 0.0), float(s))
        families = list(dict.fromkeys(self.taxonomy.family_of(lab) for lab in labels))
        return Prediction(labels=labels, scores={lab: float(s) for lab, s in zip(self.labels, row)},
                          families=families, family_scores=fam_scores, normalized=nt.changed,
                          empty=empty, windows=max(windows, 0 if empty else 1), changes=list(nt.changes))

    def __repr__(self) -> str:
        name = self.meta.get("name", getattr(self, "path", "unsaved"))
        return f"RumorClassifier({name}, {len(self.labels)} labels, backend={self.encoder.name})"
