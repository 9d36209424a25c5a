"""Trial: does a batch of new labelled posts move the real-post figures? (issue 14's data side)

    python -m training.trials.extra_data /work/runs/ft-s6-e12 --extra trW- trX- trY- trZ- dvW- dvX- dvY- dvZ- teS6-

The posts of data/{train,dev,test}.jsonl whose ids start with one of the --extra prefixes are the
batch under trial (data v3's writers W-Z and S6 in the command above). The n-gram half (the TF-IDF
baseline with the BERT run's own real negatives and embed share, as `training.combine` fits it)
is trained twice, on train without the batch and with it; each is also mixed with the given
fine-tuned BERT (weight, temperature and thresholds on dev, `training.combine.choose_mix`).
Thresholds are tuned on all of dev (batch included) in both rows, so the rows differ only in
training data. Printed per row: dev macro-F1 (all; without the batch), the batch's dev posts
(F1 of "any label" against "none" and false alarms on its normals: the part is small), test
macro-F1 without the batch and the batch's test posts (same two figures), real_dev false alarms /
enterprise rumours flagged, and, threshold-free, the enterprise rumours flagged when the max logit
is cut at exactly 3% real false alarms (evaluation only: nothing is chosen on real_dev).
Results: training/README.md.
"""

from __future__ import annotations

import argparse

import numpy as np

from ..combine import _sigmoid, bert_logits, choose_mix, mixed_logits, ngram_logits, normalized_sets
from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import (_Corpora, _training_negatives, fit_tfidf, real_post_figures,
                        rumours_flagged_at_false_alarms)
from ..metrics import compute_metrics, predict_sets


def _split_off(examples, prefixes):
    """(posts not in the batch, posts in the batch), by id prefix."""
    keep = [e for e in examples if not e.id.startswith(tuple(prefixes))]
    return keep, [e for e in examples if e.id.startswith(tuple(prefixes))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bert", help="a fine-tuned BERT directory (its recipe gives the real negatives)")
    p.add_argument("--extra", nargs="+", required=True, help="id prefixes of the posts under trial")
    p.add_argument("--real-dev", default=default_real_dev())
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    import torch

    from rumorclf import RumorClassifier
    from rumorclf.ngram import CharNgramScorer

    torch.set_num_threads(a.threads)
    clf = RumorClassifier.from_pretrained(a.bert)
    tax, labels = clf.taxonomy, clf.labels
    train, extra_train = _split_off(load_split("train", tax), a.extra)
    dev_old, dev_new = _split_off(load_split("dev", tax), a.extra)
    test_old, test_new = _split_off(load_split("test", tax), a.extra)
    if not extra_train:
        raise SystemExit(f"no train post has an id starting with {a.extra}")
    dev = dev_old + dev_new
    real = read_real_dev(a.real_dev)
    labelled = [e.text for e in train + extra_train + dev + test_old + test_new]
    negatives, share, weight = _training_negatives(clf.meta, labelled, _Corpora())
    print(f"train {len(train)} + {len(extra_train)} extra; dev {len(dev_old)} + {len(dev_new)}; "
          f"test {len(test_old)} + {len(test_new)}; {len(negatives)} real negatives (weight {weight}, embed {share})")

    sets = {"dev": [e.text for e in dev], "test_old": [e.text for e in test_old],
            "test_new": [e.text for e in test_new], "real": [r["text"] for r in real]}
    clean = normalized_sets(sets)
    bert = bert_logits(clf, clean)
    y = {"dev": multi_hot(dev, labels), "test_old": multi_hot(test_old, labels), "test_new": multi_hot(test_new, labels)}
    n_old = len(dev_old)

    def f1(k, s, thr, part=slice(None)):
        if not len(y[k][part]):
            return float("nan")
        return compute_metrics(y[k][part], predict_sets(s[k][part], thr), labels)["macro_f1"]

    def flag_f1(k, s, thr, part=slice(None)):
        """The new parts are small: F1 of "any label" against "no label", and false alarms on their normals."""
        gold, got = y[k][part].any(1), (s[k][part] >= np.asarray(thr)).any(1)
        if not len(gold):
            return "-"
        tp = float((gold & got).sum())
        f = 2 * tp / max(1.0, gold.sum() + got.sum())
        return f"{f:.3f} / {got[~gold].mean():.0%}" if (~gold).any() else f"{f:.3f}"

    def at_fa3(z):
        return rumours_flagged_at_false_alarms(z, real)

    print("\n| n-gram trained on | system | w | dev | dev without the batch | batch's dev: any-label F1 / FA "
          "| test without the batch | batch's test: any-label F1 / FA | real FA | real ER | ER at 3% FA |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for title, tr in (("train without the batch", train), ("train with the batch", train + extra_train)):
        vec, ovr = fit_tfidf(tr, labels, 13, negatives, share, weight)
        gram = ngram_logits(CharNgramScorer.from_sklearn(vec, ovr), clean)
        grid, best = choose_mix(bert["dev"], gram["dev"], y["dev"], labels)
        by_w = {r["weight"]: r for r in grid}
        for name, r in (("n-gram alone", by_w[1.0]), ("mix", best), ("BERT alone", by_w[0.0])):
            if name == "BERT alone" and title != "train without the batch":
                continue
            w, thr = r["weight"], r["thresholds"]
            z = mixed_logits(bert, gram, r)
            s = {k: _sigmoid(v) for k, v in z.items()}
            rf = real_post_figures(s["real"], thr, real)
            print(f"| {title} | {name} | {w:.1f} | {f1('dev', s, thr):.3f} | {f1('dev', s, thr, slice(0, n_old)):.3f} | "
                  f"{flag_f1('dev', s, thr, slice(n_old, None))} | {f1('test_old', s, thr):.3f} | {flag_f1('test_new', s, thr)} | "
                  f"{rf['real_false_alarms']:.1%} | {rf['real_enterprise_rumours_flagged']:.1%} | {at_fa3(z['real']):.1%} |",
                  flush=True)


if __name__ == "__main__":
    main()
