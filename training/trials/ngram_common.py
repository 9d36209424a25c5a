"""Steps shared by the n-gram half trials (ngram_features, ngram_names, negative_cleaning): the BERT
half scored once per cache folder, and the figures of an n-gram model alone and in its best mix."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..combine import _sigmoid, bert_logits, choose_mix, mixed_logits, normalized_sets
from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import real_post_figures, rumours_flagged_at_false_alarms
from ..metrics import compute_metrics, predict_sets


def trial_arguments(doc: str, argv=None) -> argparse.Namespace:
    """The command line of a trial that refits a model's n-gram half: MODEL_DIR, --cache, --real-dev,
    --only (indices into the trial's SETTINGS) and --threads."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a fine-tuned or combined model directory (its BERT half is mixed)")
    p.add_argument("--cache", required=True, type=Path)
    p.add_argument("--real-dev", default=default_real_dev())
    p.add_argument("--only", type=int, nargs="*", help="indices into SETTINGS")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def load_trial(args: argparse.Namespace, real_variants: dict | None = None) -> SimpleNamespace:
    """The model, its recipe's splits, real_dev, the normalised sets (dev, test, real and each
    `real_variants` name: a function of a real post's text) and the BERT half's cached logits."""
    import torch

    from rumorclf import RumorClassifier

    torch.set_num_threads(args.threads)
    args.cache.mkdir(parents=True, exist_ok=True)
    clf = RumorClassifier.from_pretrained(args.model)
    labels, recipe = clf.labels, clf.meta.get("training", {})
    train, dev, test = (load_split(recipe.get(f"{s}_file") or s, clf.taxonomy) for s in ("train", "dev", "test"))
    real = read_real_dev(args.real_dev)
    sets = {"dev": [e.text for e in dev], "test": [e.text for e in test], "real": [r["text"] for r in real]}
    sets.update({k: [fn(r["text"]) for r in real] for k, fn in (real_variants or {}).items()})
    clean = normalized_sets(sets)
    return SimpleNamespace(clf=clf, labels=labels, recipe=recipe, train=train, dev=dev, test=test, real=real,
                           clean=clean, bert=cached_bert_logits(clf, clean, args.cache),
                           y={"dev": multi_hot(dev, labels), "test": multi_hot(test, labels)})


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
