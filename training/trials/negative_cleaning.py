"""Trial: are some real negatives real rumours, and does dropping them help real-post recall? (issue 14)

    python -m training.trials.negative_cleaning MODEL_DIR --cache DIR

Corpus lines are used as `normal`, but a few of the 1.1M real lines may be rumours or smears. The
recipe down-weights them (`--negative-weight`); this trial tries cleaning them out instead, by
cross-fitting: the shown negatives are split in two, an n-gram model (the baseline's, on the
written posts and one half) scores the other half, and the lines scored most like an infringing
post (largest margin over a label's dev threshold) are dropped and replaced by unseen pool lines
that both fits score below the cut. The n-gram half is then fitted on the cleaned negatives and
printed alone and in its best mix with MODEL_DIR's BERT half (as `trials.ngram_names` prints it),
with the negative weight varied too. Results: training/README.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..combine import normalized_sets
from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import _Corpora, fit_tfidf
from ..metrics import tune_thresholds
from .ngram_common import alone_and_mix, cached_bert_logits, figures

# (share of the shown negatives dropped as rumour-like, their loss weight: None = the recipe's)
SETTINGS = ((0.0, None), (0.02, None), (0.05, None), (0.10, None), (0.05, 1.0), (0.0, 0.25))


def margins(vec, ovr, texts, thr_logit) -> np.ndarray:
    """Per text: the largest margin of a label's logit over that label's dev threshold."""
    from rumorclf.normalize import normalize_text

    z = ovr.decision_function(vec.transform([normalize_text(t) for t in texts]))
    return (z - thr_logit).max(1)


def main(argv=None):
    from rumorclf import RumorClassifier
    from rumorclf.ngram import CharNgramScorer
    from rumorclf.normalize import normalize_text

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a fine-tuned or combined model directory (its BERT half is mixed)")
    p.add_argument("--cache", required=True, type=Path)
    p.add_argument("--real-dev", default=default_real_dev())
    p.add_argument("--only", type=int, nargs="*", help="indices into SETTINGS")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    args.cache.mkdir(parents=True, exist_ok=True)
    clf = RumorClassifier.from_pretrained(args.model)
    labels, tax, recipe = clf.labels, clf.taxonomy, clf.meta.get("training", {})
    train, dev, test = (load_split(recipe.get(f"{s}_file") or s, tax) for s in ("train", "dev", "test"))
    real = read_real_dev(args.real_dev)
    sets = {"dev": [e.text for e in dev], "test": [e.text for e in test], "real": [r["text"] for r in real]}
    clean = normalized_sets(sets)
    bert = cached_bert_logits(clf, clean, args.cache)
    y = {"dev": multi_hot(dev, labels), "test": multi_hot(test, labels)}
    seed, share = int(recipe.get("seed", 13)), float(recipe.get("embed_share", 0.0))
    pool = _Corpora().sample(recipe["negatives"], int(recipe["negatives_pool"]), seed, [e.text for e in train + dev + test],
                             swap_names=float(recipe.get("negatives_swap_names") or 0.0))
    n = int(recipe.get("negatives_per_epoch") or 0) or len(pool)
    shown, unseen = pool[:n], pool[n:]

    # cross-fitted rumour-likeness of every shown line, and of the unseen lines (mean of both fits)
    t0 = time.time()
    halves = (shown[: n // 2], shown[n // 2:])
    m_shown, m_unseen = np.zeros(n), np.zeros(len(unseen))
    for k, (fit_on, scored) in enumerate(((halves[0], 1), (halves[1], 0))):
        vec, ovr = fit_tfidf(train, labels, seed, fit_on, share, float(recipe.get("negative_weight", 1.0)))
        dev_p = ovr.predict_proba(vec.transform([normalize_text(t) for t in sets["dev"]]))
        cut = np.clip(np.asarray(tune_thresholds(y["dev"], dev_p)), 1e-4, 1 - 1e-4)
        thr_logit = np.log(cut / (1 - cut))
        lo = 0 if scored == 0 else n // 2
        m_shown[lo:lo + len(halves[scored])] = margins(vec, ovr, halves[scored], thr_logit)
        m_unseen += margins(vec, ovr, unseen, thr_logit) / 2
    print(f"cross-fitted {n:,} shown and {len(unseen):,} unseen lines in {(time.time() - t0) / 60:.1f} min; "
          f"shown lines over a threshold: {(m_shown > 0).mean():.1%}, unseen: {(m_unseen > 0).mean():.1%}")

    print("| dropped | negative weight | fit min | system | w | dev | test | real FA | real ER | ER at 3% FA |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for i, (drop, neg_weight) in enumerate(SETTINGS):
        if args.only and i not in args.only:
            continue
        weight = float(recipe.get("negative_weight", 1.0)) if neg_weight is None else neg_weight
        k = int(round(drop * n))
        cut = np.sort(m_shown)[::-1][k] if k else np.inf
        kept = [t for t, m in zip(shown, m_shown) if m < cut] if k else list(shown)
        kept += [t for t, m in zip(unseen, m_unseen) if m < cut][: n - len(kept)]
        t0 = time.time()
        vec, ovr = fit_tfidf(train, labels, seed, kept, share, weight)
        minutes = (time.time() - t0) / 60
        scorer = CharNgramScorer.from_sklearn(vec, ovr)
        gram = {k2: scorer.logits(v) for k2, v in clean.items()}
        for name, row, z in alone_and_mix(bert, gram, y["dev"], labels):
            r = figures(row, z, y["test"], labels, real)
            print(f"| {drop:.0%} | {weight:g} | {minutes:.1f} | {name} | {row['weight']:g} | {row['dev_macro_f1']:.4f} "
                  f"| {r['test_macro_f1']:.4f} | {r['real_false_alarms']:.1%} | {r['real_enterprise_rumours_flagged']:.1%} "
                  f"| {r['er_at_3']:.1%} |", flush=True)


if __name__ == "__main__":
    main()
