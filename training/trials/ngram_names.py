"""Trial: does the n-gram half lose its name shortcut when names stop carrying a label? (issue 14)

    python -m training.trials.ngram_names MODEL_DIR --cache DIR [--only 0 3]

The n-gram half carries 0.8-0.9 of a combined model's weight, so its ranking of real posts is most
of the mix's. It is fitted here on MODEL_DIR's training data and real negatives (as
`training.combine` fits it) for each setting of the two name options of `training.train`:
`negatives_swap_names` (that share of the real negatives get invented names in place of listed
real ones) and `written_swap_names` (that share of the written posts and their embedded copies get
invented company names), and for a larger share of the pool shown as negatives. Printed per
setting, for the n-gram model alone and for its best logit mix with MODEL_DIR's BERT half (weight,
temperature and thresholds on dev, as `training.combine` chooses): dev / test macro-F1, real_dev
false alarms and enterprise rumours flagged (evaluation only), and the threshold-free share of
real enterprise rumours flagged at 3% false alarms, as posted and with real_dev's listed real
names made fictional (`trials.name_swap`): the gap between the two is the shortcut. The BERT's
logits are cached in --cache. Results: training/README.md.
"""

from __future__ import annotations

import time

from ..evaluate import _Corpora, fit_tfidf, rumours_flagged_at_false_alarms
from .name_swap import swap_names
from .ngram_common import alone_and_mix, figures, load_trial, trial_arguments

# (negatives_swap_names, written_swap_names, real negatives shown: 0 = the recipe's per-epoch count)
SETTINGS = ((0.0, 0.0, 0), (1.0, 0.0, 0), (0.0, 1.0, 0), (1.0, 1.0, 0), (1.0, 0.5, 0), (1.0, 1.0, 20_000))


def main(argv=None):
    from rumorclf.ngram import CharNgramScorer

    args = trial_arguments(__doc__, argv)
    t = load_trial(args, {"real_fictional": swap_names})
    labels, recipe, train, dev, test, real, clean, bert, y = (t.labels, t.recipe, t.train, t.dev, t.test, t.real,
                                                              t.clean, t.bert, t.y)
    corpora, labelled = _Corpora(), [e.text for e in train + dev + test]
    pool_size, seed = int(recipe["negatives_pool"]), int(recipe.get("seed", 13))
    per_epoch = int(recipe.get("negatives_per_epoch") or 0)
    share, weight = float(recipe.get("embed_share", 0.0)), float(recipe.get("negative_weight", 1.0))
    print("| negatives swapped | written swapped | negatives shown | fit min | system | w | dev | test | real FA "
          "| real ER | ER at 3% FA, as posted | ER at 3% FA, names fictional |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, (neg_swap, written_swap, shown) in enumerate(SETTINGS):
        if args.only and i not in args.only:
            continue
        pool = corpora.sample(recipe["negatives"], pool_size, seed, labelled, swap_names=neg_swap)
        neg = pool[:shown or per_epoch or len(pool)]
        t0 = time.time()
        vec, ovr = fit_tfidf(train, labels, seed, neg, share, weight, written_swap_names=written_swap)
        minutes = (time.time() - t0) / 60
        scorer = CharNgramScorer.from_sklearn(vec, ovr)
        gram = {k: scorer.logits(v) for k, v in clean.items()}
        for name, row, z in alone_and_mix(bert, gram, y["dev"], labels):
            r = figures(row, z, y["test"], labels, real)
            print(f"| {neg_swap:g} | {written_swap:g} | {len(neg):,} | {minutes:.1f} | {name} | {row['weight']:g} "
                  f"| {row['dev_macro_f1']:.4f} | {r['test_macro_f1']:.4f} | {r['real_false_alarms']:.1%} "
                  f"| {r['real_enterprise_rumours_flagged']:.1%} | {r['er_at_3']:.1%} "
                  f"| {rumours_flagged_at_false_alarms(z['real_fictional'], real):.1%} |", flush=True)


if __name__ == "__main__":
    main()
