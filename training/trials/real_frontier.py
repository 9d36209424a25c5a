"""Trial: how far do thresholds and n-gram windows move a combined model on real posts?

    python -m training.trials.real_frontier rumorclf/models/default --cache /tmp/frontier

Scores a combined model's two halves once (BERT max-window logits / T; n-gram logits on the whole
post and on 126/64/32-character windows) on dev, test, real_dev, held-out corpus lines (the
pre-training 1% hold-out, never training negatives) and dev's infringing posts embedded in real
text (the check of `training.evaluate --embed-corpus`), caches them in --cache, then for every
scoring of the n-gram half re-chooses the mix on dev (`training.combine.choose_mix`) and raises
every threshold by d logits, and tries a post flagged by its whole-post mix or by a window of it
at e logits over the threshold. Prints, per row, dev / test macro-F1, the real-post figures, the share
of held-out corpus lines flagged and the embedded labels kept; first, threshold-free, the share of
real enterprise rumours flagged when the max logit is cut at exactly 3% real false alarms (an
evaluation figure: nothing here is chosen on real_dev). Results: training/README.md.
"""

from __future__ import annotations

import argparse
import random
import zlib
from pathlib import Path

import numpy as np

from ..combine import _sigmoid, choose_mix
from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import (_Corpora, embedding_variants, labels_kept, real_post_figures,
                        rumours_flagged_at_false_alarms)
from ..metrics import compute_metrics, tune_thresholds
from .combination import _logit

WINDOWS = (0, 126, 64, 32)
FORMS = ("after_1_5_sentences", "inside_review", "start_of_long_post")


def _heldout_lines(corpus: str, per_file: int = 500) -> list[str]:
    from rumorclf.normalize import normalize_text

    from ..negatives import MIN_CHARS, _lines, negative_sources
    from ..pretraining.corpus import is_heldout

    out = []
    for f in negative_sources(corpus):
        held = [t for t in (normalize_text(x) for x in _lines(f)) if len(t) >= MIN_CHARS and is_heldout(t)]
        rng = np.random.default_rng([5, zlib.crc32(f.name.encode())])
        out += [held[i] for i in rng.permutation(len(held))[:per_file]]
    return out


def score(clf, dev, test, corpus: str, real: list[dict], cache: Path) -> dict:
    """The halves' logits on every text set, cached in cache/scores.npz."""
    from rumorclf.normalize import normalize_text

    f = cache / "scores.npz"
    if f.exists():
        return dict(np.load(f))
    context = _Corpora().sample(corpus, 3000, seed=99, exclude=[e.text for e in dev + test])
    rng = random.Random(7)  # the same variants as training.evaluate's check
    variants = [embedding_variants(e.text, context, rng) for e in dev if e.labels]
    sets = {"dev": [e.text for e in dev], "test": [e.text for e in test],
            "real": [r["text"] for r in real], "cal": _heldout_lines(corpus),
            **{"emb_" + k: [v[k] for v in variants] for k in FORMS}}
    res = {}
    for k, texts in sets.items():
        clean = [normalize_text(t) for t in texts]
        res["bert_" + k] = clf.score_normalized(clean, 64, logits=True)[0] / clf.temperature
        for w in WINDOWS:
            clf.ngram.window, clf.ngram.stride = w, w // 4
            res[f"ng{w}_" + k] = clf.ngram.logits(clean)
        print(f"scored {k}: {len(texts)} texts", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(f, **res)
    return res


def main(argv=None):
    from rumorclf import RumorClassifier

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a combined model directory (training.combine's output)")
    p.add_argument("--cache", required=True, type=Path)
    p.add_argument("--corpus", default="../shared/corpus")
    p.add_argument("--real-dev", default=default_real_dev())
    args = p.parse_args(argv)
    clf = RumorClassifier.from_pretrained(args.model)
    if clf.ngram is None:
        raise SystemExit(f"{args.model} is not a combined model (no n-gram half)")
    labels = clf.labels
    dev, test, real = load_split("dev", clf.taxonomy), load_split("test", clf.taxonomy), read_real_dev(args.real_dev)
    d = score(clf, dev, test, args.corpus, real, args.cache)
    y_dev, y_test = multi_hot(dev, labels), multi_hot(test, labels)
    pos = [i for i, e in enumerate(dev) if e.labels]
    gold = y_dev[pos].astype(bool)

    def at_fa3(z):
        return rumours_flagged_at_false_alarms(z, real)

    def row(title: str, w: float, delta: float, z, thr) -> str:
        """One table row: z(set name) -> logits, flagged where z > thr (logits)."""
        def flags(k):
            return z(k) > thr

        def f1(k, y):
            return compute_metrics(y, flags(k).astype(int), labels)["macro_f1"]

        rf = real_post_figures(z("real"), thr, real)
        kept = labels_kept(flags("dev")[pos], gold, {k: flags("emb_" + k) for k in FORMS})
        return (f"| {title} | {w} | {delta} | {f1('dev', y_dev):.3f} | {f1('test', y_test):.3f} | "
                f"{rf['real_false_alarms']:.1%} | {rf['real_enterprise_rumours_flagged']:.1%} | "
                f"{flags('cal').any(1).mean():.1%} | {kept['all']:.0%} ("
                + " / ".join(f"{kept[k]:.0%}" for k in FORMS) + ") |")

    grid, whole = choose_mix(d["bert_dev"], d["ng0_dev"], y_dev, labels)
    print("real enterprise rumours flagged at 3% real false alarms (threshold-free), ranked by the max label "
          "logit / by the max margin over the dev thresholds (the decision rule with every threshold shifted):")
    for r in grid:
        if r["weight"] in (0.0, 0.5, 0.8, 0.9, 1.0):
            z = ((1 - r["weight"]) * d["bert_real"] + r["weight"] * d["ng0_real"]) / r["temperature"]
            print(f"  w {r['weight']:g} (0 = BERT half, 1 = n-gram half): {at_fa3(z):.1%} / "
                  f"{rumours_flagged_at_false_alarms(z, real, thresholds=_logit(r['thresholds'])):.1%}")
    print("\n| n-gram scored on | w | + d | dev | test | real FA | real ER | corpus any | embedded kept (after / review / long) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for win in WINDOWS:
        _, best = choose_mix(d["bert_dev"], d[f"ng{win}_dev"], y_dev, labels)
        w, t = best["weight"], best["temperature"]
        for delta in (0.0, 0.5, 1.0):
            print(row("whole post" if win == 0 else f"{win}-char windows", w, delta,
                      lambda k: ((1 - w) * d["bert_" + k] + w * d[f"ng{win}_" + k]) / t,
                      _logit(best["thresholds"]) + delta))
    # whole post, or windows at a stricter cut: a post is flagged by its whole-post mix, or by one
    # window of the same mix scored e logits over the threshold (keeps embedded sentences, fewer alarms)
    w, t = whole["weight"], whole["temperature"]
    for win in WINDOWS[1:]:
        for e in (0.5, 1.0, 2.0, 3.0):
            print(row(f"whole post, or {win}-char windows at + {e:g}", w, 0.0,
                      lambda k: np.maximum((1 - w) * d["bert_" + k] + w * d["ng0_" + k],
                                           (1 - w) * d["bert_" + k] + w * d[f"ng{win}_" + k] - e * t) / t,
                      _logit(whole["thresholds"])))
    # the BERT half alone, thresholds tuned on dev: does it lose embedded labels too?
    thr = _logit(tune_thresholds(y_dev, _sigmoid(d["bert_dev"])))
    print(row("BERT alone", 0, 0.0, lambda k: d["bert_" + k], thr))


if __name__ == "__main__":
    main()
