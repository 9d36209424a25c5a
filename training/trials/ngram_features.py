"""Trial: which char n-gram linear model should be the n-gram half of a combined model?

    python -m training.trials.ngram_features MODEL_DIR --cache /tmp/ngram-trial

Fits TF-IDF char n-grams + one-vs-rest logistic regression on MODEL_DIR's training data with its
real negatives (as `training.evaluate --tfidf` does) for each setting (n-gram range, C, number of
features), tunes thresholds on dev and prints dev / test macro-F1, the real-post figures, and the
same figures for its best logit mix with MODEL_DIR's BERT (weight, temperature and thresholds on
dev, as `training.combine` chooses them), with the share of labels kept when dev's infringing
posts are embedded in real text (`training.evaluate --embed-corpus`). Row "1-3, C=10, 200k, post"
is the baseline itself. The BERT's logits are cached in --cache. Results: training/README.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..combine import _sigmoid, choose_mix, normalized_sets
from ..data import default_real_dev, load_split, multi_hot, read_real_dev
from ..evaluate import _Corpora, _training_negatives, embedding_check, embedding_variants, fit_tfidf, real_post_figures
from ..metrics import compute_metrics, predict_sets
from .ngram_common import cached_bert_logits

# (n-gram range, C, features, window in characters: 0 = the whole post, else max over windows)
SETTINGS = (((1, 3), 10.0, 200_000, 0), ((1, 4), 10.0, 200_000, 0), ((1, 4), 10.0, 400_000, 0),
            ((1, 3), 3.0, 200_000, 0), ((1, 3), 30.0, 200_000, 0), ((2, 4), 10.0, 400_000, 0),
            ((1, 3), 10.0, 200_000, 126), ((1, 3), 10.0, 200_000, 64))


def main(argv=None):
    from rumorclf import RumorClassifier
    from rumorclf.ngram import CharNgramScorer
    from rumorclf.normalize import normalize_text

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--cache", required=True, type=Path)
    p.add_argument("--real-dev", default=default_real_dev())
    p.add_argument("--only", type=int, nargs="*", help="indices into SETTINGS")
    p.add_argument("--embed-corpus", default="../shared/corpus", help="real text for the embedding check")
    args = p.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    clf = RumorClassifier.from_pretrained(args.model)
    labels, tax = clf.labels, clf.taxonomy
    train, dev, test = (load_split(s, tax) for s in ("train", "dev", "test"))
    real = read_real_dev(args.real_dev)
    sets = {"dev": [e.text for e in dev], "test": [e.text for e in test], "real": [r["text"] for r in real]}
    clean = normalized_sets(sets)
    bert = cached_bert_logits(clf, clean, args.cache)
    corpora = _Corpora()
    neg, share, weight = _training_negatives(clf.meta, [e.text for e in train + dev + test], corpora)
    # the embedding check of training.evaluate (dev's infringing posts inside real text): its texts
    # are generated once here so the BERT scores them once (cached)
    context = corpora.sample(args.embed_corpus, 3000, seed=99, exclude=sets["dev"])
    import random

    rng = random.Random(7)
    emb_texts = [e.text for e in dev if e.labels]
    emb_texts += [t for e in dev if e.labels for t in embedding_variants(e.text, context, rng).values()]
    emb_clean = [normalize_text(t) for t in emb_texts]
    f = args.cache / "bert_embedded.npz"
    if not f.exists():
        np.savez(f, logits=clf.score_normalized(emb_clean, 64, logits=True)[0] / clf.temperature)
    emb_row = {t: i for i, t in enumerate(emb_texts)}
    emb_bert = np.load(f)["logits"]
    y = {"dev": multi_hot(dev, labels), "test": multi_hot(test, labels)}
    print("| n-grams | C | features | window | fit min | dev | test | real FA | real ER | embedded kept "
          "| mix w | mix dev | mix test | mix real FA | mix real ER | mix embedded kept |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, (rng, c, nf, window) in enumerate(SETTINGS):
        if args.only and i not in args.only:
            continue
        t0 = time.time()
        vec, ovr = fit_tfidf(train, labels, 13, neg, share, weight, ngram_range=rng, C=c, max_features=nf)
        minutes = (time.time() - t0) / 60
        scorer = CharNgramScorer.from_sklearn(vec, ovr)
        scorer.window, scorer.stride = window, window // 4
        gram = {k: scorer.logits(v) for k, v in clean.items()}
        grid, best = choose_mix(bert["dev"], gram["dev"], y["dev"], labels)
        emb_gram = scorer.logits(emb_clean)
        cells = []
        for row in (grid[-1], best):  # the n-gram model alone (w = 1), then the best mix
            w, t, thr = row["weight"], row["temperature"], row["thresholds"]
            s = {k: _sigmoid(((1 - w) * bert[k] + w * gram[k]) / t) for k in bert}
            te = compute_metrics(y["test"], predict_sets(s["test"], thr), labels)["macro_f1"]
            r = real_post_figures(s["real"], thr, real)
            mixed = _sigmoid(((1 - w) * emb_bert + w * emb_gram) / t)
            kept = embedding_check(lambda texts: mixed[[emb_row[x] for x in texts]], thr, dev, labels, context)
            cells.append(f"{row['dev_macro_f1']:.4f} | {te:.4f} | {r['real_false_alarms']:.1%} | "
                         f"{r['real_enterprise_rumours_flagged']:.1%} | {kept['all']:.0%}")
        print(f"| {rng[0]}-{rng[1]} | {c:g} | {nf // 1000}k | {window or 'post'} | {minutes:.1f} | {cells[0]} | {best['weight']} "
              f"| {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
