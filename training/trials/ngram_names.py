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

import argparse
import time
from pathlib import Path

from ..combine import normalized_sets
from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import _Corpora, fit_tfidf, rumours_flagged_at_false_alarms
from .name_swap import swap_names
from .ngram_common import alone_and_mix, cached_bert_logits, figures

# (negatives_swap_names, written_swap_names, real negatives shown: 0 = the recipe's per-epoch count)
SETTINGS = ((0.0, 0.0, 0), (1.0, 0.0, 0), (0.0, 1.0, 0), (1.0, 1.0, 0), (1.0, 0.5, 0), (1.0, 1.0, 20_000))


def main(argv=None):
    from rumorclf import RumorClassifier
    from rumorclf.ngram import CharNgramScorer

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a fine-tuned or combined model directory (its BERT half is mixed)")
    p.add_argument("--cache", required=True, type=Path)
    p.add_argument("--real-dev", default=default_real_dev())
    p.add_argument("--only", type=int, nargs="*", help="indices into SETTINGS")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    args.cache.mkdir(parents=True, exist_ok=True)
    clf = RumorClassifier.from_pretrained(args.model)
    labels, tax, recipe = clf.labels, clf.taxonomy, clf.meta.get("training", {})
    train, dev, test = (load_split(recipe.get(f"{s}_file") or s, tax) for s in ("train", "dev", "test"))
    real = read_real_dev(args.real_dev)
    sets = {"dev": [e.text for e in dev], "test": [e.text for e in test], "real": [r["text"] for r in real],
            "real_fictional": [swap_names(r["text"]) for r in real]}
    clean = normalized_sets(sets)
    bert = cached_bert_logits(clf, clean, args.cache)
    y = {"dev": multi_hot(dev, labels), "test": multi_hot(test, labels)}
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
