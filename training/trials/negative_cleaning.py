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

import time

import numpy as np

from ..combine import normalized_sets
from ..evaluate import _Corpora, fit_tfidf
from ..metrics import tune_thresholds
from .ngram_common import alone_and_mix, figures, load_trial, trial_arguments

# (share of the shown negatives dropped as rumour-like, their loss weight: None = the recipe's)
SETTINGS = ((0.0, None), (0.02, None), (0.05, None), (0.10, None), (0.05, 1.0), (0.0, 0.25))


def margins(vec, ovr, clean_texts, thr_logit) -> np.ndarray:
    """Per normalised text: the largest margin of a label's logit over that label's dev threshold."""
    return (ovr.decision_function(vec.transform(clean_texts)) - thr_logit).max(1)


def main(argv=None):
    from rumorclf.ngram import CharNgramScorer

    args = trial_arguments(__doc__, argv)
    t = load_trial(args)
    labels, recipe, train, dev, test, real, clean, bert, y = (t.labels, t.recipe, t.train, t.dev, t.test, t.real,
                                                              t.clean, t.bert, t.y)
    seed, share = int(recipe.get("seed", 13)), float(recipe.get("embed_share", 0.0))
    pool = _Corpora().sample(recipe["negatives"], int(recipe["negatives_pool"]), seed, [e.text for e in train + dev + test],
                             swap_names=float(recipe.get("negatives_swap_names") or 0.0))
    n = int(recipe.get("negatives_per_epoch") or 0) or len(pool)
    shown, unseen = pool[:n], pool[n:]

    # cross-fitted rumour-likeness of every shown line, and of the unseen lines (mean of both fits)
    t0 = time.time()
    clean_shown, clean_unseen = (normalized_sets({"x": x})["x"] for x in (shown, unseen))
    half = n // 2
    m_shown, m_unseen = np.zeros(n), np.zeros(len(unseen))
    for fit_on, scored in ((slice(0, half), slice(half, n)), (slice(half, n), slice(0, half))):
        vec, ovr = fit_tfidf(train, labels, seed, shown[fit_on], share, float(recipe.get("negative_weight", 1.0)))
        cut = np.clip(np.asarray(tune_thresholds(y["dev"], ovr.predict_proba(vec.transform(clean["dev"])))),
                      1e-4, 1 - 1e-4)
        thr_logit = np.log(cut / (1 - cut))
        m_shown[scored] = margins(vec, ovr, clean_shown[scored], thr_logit)
        m_unseen += margins(vec, ovr, clean_unseen, thr_logit) / 2
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
