"""Trial: would a fixed mix of the fine-tuned BERT and the TF-IDF baseline pass the ship gate?

    python -m training.trials.combination MODEL_DIR --cache /tmp/comb

Scores dev, test and real_dev with MODEL_DIR and with the TF-IDF char 1-3 + LR baseline trained on
the same data and the same real negatives (re-sampled from MODEL_DIR's recipe, as
`training.evaluate --tfidf` does), then, for each way of mixing the two scores (mean of
probabilities, mean of logits, geometric mean) and each weight w of the TF-IDF side, tunes
per-label thresholds on dev and prints dev / test macro-F1 and the two real-post figures.
w = 0 is the BERT alone and w = 1 the baseline alone, so the best dev row can never lose to the
baseline on dev: read the test column and the real figures before believing a win.
Scores are cached in --cache (npz) so the grid reruns in seconds. Results: training/README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import _training_negatives, real_post_figures, tfidf_baseline
from ..metrics import compute_metrics, predict_sets, tune_thresholds


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def mix(mode: str, w: float, bert: np.ndarray, tfidf: np.ndarray) -> np.ndarray:
    if mode == "mean":
        return (1 - w) * bert + w * tfidf
    if mode == "logit":
        return 1 / (1 + np.exp(-((1 - w) * _logit(bert) + w * _logit(tfidf))))
    if mode == "geo":
        return bert ** (1 - w) * tfidf ** w
    raise ValueError(mode)


def main(argv=None):
    from rumorclf import RumorClassifier

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--cache", required=True, type=Path)
    p.add_argument("--real-dev", default=default_real_dev())
    args = p.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    clf = RumorClassifier.from_pretrained(args.model)
    labels = clf.labels
    dev, test, train = (load_split(s, clf.taxonomy) for s in ("dev", "test", "train"))
    real = read_real_dev(args.real_dev)
    sets = {"dev": [e.text for e in dev], "test": [e.text for e in test], "real": [r["text"] for r in real]}
    f = args.cache / "bert.npz"
    if not f.exists():
        np.savez(f, **{k: clf.score_texts(v, 64) for k, v in sets.items()})
    bert = dict(np.load(f))
    f = args.cache / "tfidf.npz"
    if not f.exists():
        neg, share, weight = _training_negatives(clf.meta, [e.text for e in train + dev + test])
        score, _ = tfidf_baseline(train, dev, labels, negatives=neg, embed_share=share, negative_weight=weight)
        np.savez(f, **{k: score(v) for k, v in sets.items()})
    tfidf = dict(np.load(f))
    y_dev, y_test = multi_hot(dev, labels), multi_hot(test, labels)
    print("| mix | w (TF-IDF) | dev macro-F1 | test macro-F1 | real false alarms | real enterprise rumours |")
    print("|---|---|---|---|---|---|")
    for mode in ("mean", "logit", "geo"):
        for w in np.round(np.arange(0, 1.01, 0.1), 2):
            s = {k: mix(mode, w, bert[k], tfidf[k]) for k in bert}
            thr = tune_thresholds(y_dev, s["dev"])
            d = compute_metrics(y_dev, predict_sets(s["dev"], thr), labels)["macro_f1"]
            t = compute_metrics(y_test, predict_sets(s["test"], thr), labels)["macro_f1"]
            r = real_post_figures(s["real"], thr, real)
            print(f"| {mode} | {w} | {d:.4f} | {t:.4f} | {r['real_false_alarms']:.1%} "
                  f"| {r['real_enterprise_rumours_flagged']:.1%} |", flush=True)


if __name__ == "__main__":
    main()
