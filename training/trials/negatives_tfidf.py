"""Trial: how real negatives and embedding change the two-sided real-post figures (TF-IDF, fast).

    python -m training.trials.negatives_tfidf --negatives ../shared/corpus

For each setting, the TF-IDF char 1-3 + LR baseline is trained on data/train.jsonl plus N real
negatives (training.negatives) and embedded copies of the written posts, thresholds tuned on dev;
printed: dev macro-F1, real_dev false alarms on true news, real enterprise rumours flagged. The
same sampling and embedding code serves training.train, so the table says what to expect there.
Results and the choice made are in training/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json

from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import real_post_figures, tfidf_baseline
from ..metrics import compute_metrics, predict_sets
from ..negatives import sample_negatives


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--negatives", required=True)
    p.add_argument("--counts", default="0,20000,60000")
    p.add_argument("--weights", default="1.0,0.3")
    p.add_argument("--embed", default="0,0.5,1.0")
    p.add_argument("--real-dev", default=default_real_dev())
    a = p.parse_args(argv)
    from rumorclf import Taxonomy

    tax = Taxonomy.default()
    train, dev = load_split("train", tax), load_split("dev", tax)
    labelled = [e.text for e in train + dev + load_split("test", tax)]
    counts = [int(x) for x in a.counts.split(",")]
    pool = sample_negatives(a.negatives, max(counts), 13, exclude=labelled)
    real = read_real_dev(a.real_dev)
    y_dev = multi_hot(dev, tax.labels)
    settings = []
    for n, w, e in itertools.product(counts, [float(x) for x in a.weights.split(",")],
                                     [float(x) for x in a.embed.split(",")]):
        if n == 0:  # no negatives: weight and embedding do nothing, one row
            w, e = 1.0, 0.0
        if (n, w, e) not in settings:
            settings.append((n, w, e))
    for n, w, e in settings:
        score, thr = tfidf_baseline(train, dev, tax.labels, negatives=pool[:n], embed_share=e, negative_weight=w)
        f1 = compute_metrics(y_dev, predict_sets(score([x.text for x in dev]), thr), tax.labels)["macro_f1"]
        rec = {"negatives": n, "weight": w, "embed_share": e, "dev_macro_f1": round(f1, 4),
               **real_post_figures(score([r["text"] for r in real]), thr, real)}
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
