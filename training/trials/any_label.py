"""Trial: does one "any infringement" score rank real posts better than the max over 15 labels? (issue 14)

    python -m training.trials.any_label MODEL_DIR --cache DIR

Whether a post is flagged at all is decided today by its largest label score: fifteen separately
fitted labels, each with its own noise, and the largest noise wins on an ordinary post. This
trial fits, beside MODEL_DIR's n-gram half (on its training data and real negatives, as
`training.combine` fits it), one more logistic regression on the same features whose target is
"any label" (class-balanced, the same sample weights), and asks two questions:

1. Ranking, threshold-free: the share of real_dev's enterprise rumours flagged when each score is
   cut at 3% real false alarms (evaluation only): the n-gram half's max label logit, the any
   head's logit, their mixes with MODEL_DIR's BERT half (its max calibrated label logit).
2. Decisions: the shipped-style mix (weight, temperature, thresholds on dev, as `training.combine`
   chooses) with a gate, a post keeping its labels only if its any score clears a cut chosen on
   dev (the cut that maximises dev macro-F1 of the gated labels): dev / test macro-F1 and the
   real-post figures, and for the ungated systems the threshold-free figure of 1. ranked by the
   max margin over the dev thresholds (the decision rule with every threshold shifted alike).

The BERT's logits are cached in --cache (shared with the other n-gram trials). Results:
training/README.md.
"""

from __future__ import annotations

import time

import numpy as np

from ..combine import WEIGHT_GRID, _sigmoid
from ..evaluate import (_Corpora, fit_tfidf, real_post_figures, rumours_flagged_at_false_alarms,
                        tfidf_training_set)
from ..metrics import compute_metrics, predict_sets
from .combination import _logit
from .ngram_common import alone_and_mix, load_trial, trial_arguments

C_GRID = (10.0, 1.0)  # the any head's inverse regularisation: the labels' own, and stronger


def fit_heads(train, labels, seed: int, negatives, embed_share: float, negative_weight: float):
    """The baseline (`fit_tfidf`: vectoriser and one-vs-rest labels), plus an any-label head per C
    fitted on the same features, texts and sample weights."""
    from sklearn.linear_model import LogisticRegression

    vec, ovr = fit_tfidf(train, labels, seed, negatives, embed_share, negative_weight)
    texts, y, weights = tfidf_training_set(train, labels, seed, negatives, embed_share, negative_weight)
    x = vec.transform(texts)
    heads = {c: LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed).fit(
        x, y.any(1).astype(int), sample_weight=weights) for c in C_GRID}
    return vec, ovr, heads, len(texts)


def gated(z_labels: np.ndarray, thr: np.ndarray, z_any: np.ndarray, cut: float) -> np.ndarray:
    """Label decisions kept only where the any score clears `cut` (logit)."""
    return predict_sets(_sigmoid(z_labels), thr) & (z_any >= cut)[:, None]


def choose_cut(z_dev: np.ndarray, thr: np.ndarray, any_dev: np.ndarray, y_dev: np.ndarray, labels) -> tuple:
    """The any-score cut (over dev's own any scores' quantiles, and no cut) of best dev macro-F1."""
    best = (compute_metrics(y_dev, predict_sets(_sigmoid(z_dev), thr), labels)["macro_f1"], -np.inf)
    for q in np.linspace(0.05, 0.6, 23):
        cut = float(np.quantile(any_dev, q))
        f1 = compute_metrics(y_dev, gated(z_dev, thr, any_dev, cut), labels)["macro_f1"]
        if f1 > best[0]:
            best = (f1, cut)
    return best


def main(argv=None):
    args = trial_arguments(__doc__, argv)
    t = load_trial(args)
    labels, recipe, train, dev, test, real, clean, bert, y = (t.labels, t.recipe, t.train, t.dev, t.test, t.real,
                                                              t.clean, t.bert, t.y)
    corpora, labelled = _Corpora(), [e.text for e in train + dev + test]
    seed = int(recipe.get("seed", 13))
    pool = corpora.sample(recipe["negatives"], int(recipe["negatives_pool"]), seed, labelled)
    neg = pool[:int(recipe.get("negatives_per_epoch") or 0) or len(pool)]
    t0 = time.time()
    vec, ovr, heads, lines = fit_heads(train, labels, seed, neg, float(recipe.get("embed_share", 0.0)),
                                       float(recipe.get("negative_weight", 1.0)))
    print(f"fitted in {(time.time() - t0) / 60:.1f} min on {lines:,} lines", flush=True)
    xs = {k: vec.transform(v) for k, v in clean.items()}
    gram = {k: ovr.decision_function(x) for k, x in xs.items()}
    anys = {c: {k: h.decision_function(x) for k, x in xs.items()} for c, h in heads.items()}
    bert_max = {k: v.max(1) for k, v in bert.items()}

    def er(score):  # threshold-free: real ER at 3% real FA of a one-column score
        return rumours_flagged_at_false_alarms(np.asarray(score)[:, None], real)

    print("\n1. Ranking: real enterprise rumours flagged at 3% real false alarms\n")
    print("| score | w on the n-gram side | ER at 3% FA |\n|---|---|---|")
    print(f"| BERT half, max label logit | 0 | {er(bert_max['real']):.1%} |")
    print(f"| n-gram half, max label logit | 1 | {er(gram['real'].max(1)):.1%} |")
    for c in C_GRID:
        print(f"| any head (C {c:g}) | 1 | {er(anys[c]['real']):.1%} |")
    for w in WEIGHT_GRID[:-1]:
        mix_max = ((1 - w) * bert["real"] + w * gram["real"]).max(1)
        cells = " / ".join(f"{er((1 - w) * bert_max['real'] + w * anys[c]['real']):.1%}" for c in C_GRID)
        print(f"| max label logit of the mix; BERT max + any head (C {' / '.join(f'{c:g}' for c in C_GRID)}) "
              f"| {w:g} | {er(mix_max):.1%}; {cells} |")

    print("\n2. Decisions: the mix chosen on dev, gated by an any score with its cut chosen on dev\n")
    print("| system | w | any score | cut | dev | test | real FA | real ER | ER at 3% FA, by margin |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for name, row, z in alone_and_mix(bert, gram, y["dev"], labels):
        w, thr = row["weight"], row["thresholds"]
        options = [("none", None)] + [(f"n-gram any head C {c:g}", anys[c]) for c in C_GRID]
        if name == "mix":
            options += [(f"BERT max + any head C {c:g}",
                         {k: (1 - w) * bert_max[k] + w * anys[c][k] for k in anys[c]}) for c in C_GRID]
        for label, a in options:
            if a is None:
                dev_f1, cut = compute_metrics(y["dev"], predict_sets(_sigmoid(z["dev"]), thr), labels)["macro_f1"], -np.inf
                a = {k: np.zeros(len(v)) for k, v in z.items()}
            else:
                dev_f1, cut = choose_cut(z["dev"], thr, a["dev"], y["dev"], labels)
            test_f1 = compute_metrics(y["test"], gated(z["test"], thr, a["test"], cut), labels)["macro_f1"]
            flagged = gated(z["real"], thr, a["real"], cut)
            margin = (f"{rumours_flagged_at_false_alarms(z['real'], real, thresholds=_logit(thr)):.1%}"
                      if label == "none" else "–")
            r = real_post_figures(flagged.astype(np.float32), np.full(len(labels), 0.5), real)
            print(f"| {name} | {w:g} | {label} | {cut:.2f} | {dev_f1:.4f} | {test_f1:.4f} "
                  f"| {r['real_false_alarms']:.1%} | {r['real_enterprise_rumours_flagged']:.1%} | {margin} |", flush=True)


if __name__ == "__main__":
    main()
