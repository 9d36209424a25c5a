"""Evaluate a model on labelled JSONL, against baselines, with plots and a Markdown report.

    python -m training.evaluate MODEL data/test.jsonl --out reports/test \
        --compare runs/from-scratch --tfidf
    rumorclf evaluate MODEL DATA ...                                     # the same

Writes to --out: report.md, metrics.json, pr_curves.png, reliability.png. Metrics (scikit-learn):
per-label precision/recall/F1, micro and macro F1, family-level F1, false-positive rate on normal
posts and on hard negatives separately, most confused label pairs. The TF-IDF baseline (character
1-3 grams + one-vs-rest logistic regression) is trained on --train with thresholds tuned on
--dev, exactly as the fine-tuned models are.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from rumorclf.normalize import normalize_text

from .data import DATA_DIR, load_split, multi_hot
from .metrics import compute_metrics, predict_sets, tune_thresholds


def tfidf_baseline(train_ex, dev_ex, labels, seed: int = 13):
    """Fit TF-IDF char 1-3 grams + OvR logistic regression; return a scoring function and thresholds."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=200_000)
    x = vec.fit_transform([normalize_text(e.text) for e in train_ex])
    clf = OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced",
                                                 random_state=seed))
    clf.fit(x, multi_hot(train_ex, labels))

    def scores(texts):
        return clf.predict_proba(vec.transform([normalize_text(t) for t in texts])).astype(np.float32)

    thresholds = tune_thresholds(multi_hot(dev_ex, labels), scores([e.text for e in dev_ex]))
    return scores, thresholds


def evaluate_system(name: str, scores: np.ndarray, thresholds, y, labels, families, hard_neg) -> dict:
    m = compute_metrics(y, predict_sets(scores, thresholds), labels, families, hard_neg)
    m["name"] = name
    m["_scores"] = scores
    return m


def plot_pr(systems: list[dict], y: np.ndarray, labels: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    for m in systems:
        p, r, _ = precision_recall_curve(y.ravel(), m["_scores"].ravel())
        ap = average_precision_score(y.ravel(), m["_scores"].ravel())
        axes[0].plot(r, p, label=f"{m['name']} (micro AP {ap:.3f})")
    axes[0].set(xlabel="recall", ylabel="precision", title="micro-averaged precision-recall", xlim=(0, 1), ylim=(0, 1.02))
    axes[0].legend(loc="lower left")
    main = systems[0]
    for j, lab in enumerate(labels):
        if y[:, j].sum():
            p, r, _ = precision_recall_curve(y[:, j], main["_scores"][:, j])
            axes[1].plot(r, p, lw=1, label=lab)
    axes[1].set(xlabel="recall", ylabel="precision", title=f"per label: {main['name']}", xlim=(0, 1), ylim=(0, 1.02))
    axes[1].legend(fontsize=7, loc="lower left", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(systems: list[dict], y: np.ndarray, path: Path, bins: int = 10) -> list[dict]:
    """Calibration over all (post, label) pairs: mean score vs observed positive rate per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    tables = []
    for m in systems:
        s, t = m["_scores"].ravel(), y.ravel()
        edges = np.linspace(0, 1, bins + 1)
        which = np.clip(np.digitize(s, edges) - 1, 0, bins - 1)
        xs, ys, ns = [], [], []
        for b in range(bins):
            sel = which == b
            if sel.sum():
                xs.append(float(s[sel].mean()))
                ys.append(float(t[sel].mean()))
                ns.append(int(sel.sum()))
        ece = sum(n * abs(a - b) for a, b, n in zip(xs, ys, ns)) / max(sum(ns), 1)
        m["ece"] = float(ece)
        ax.plot(xs, ys, "o-", label=f"{m['name']} (ECE {ece:.3f})")
        tables.append({"name": m["name"], "bins": list(zip(xs, ys, ns))})
    ax.set(xlabel="mean predicted score", ylabel="observed positive rate", title="reliability", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return tables


def markdown_report(systems: list[dict], labels: list[str], data_path: str) -> str:
    main = systems[0]
    lines = [f"# Evaluation on `{data_path}`", "", f"{main['posts']} posts, {main['normal_posts']} normal "
             f"({main.get('hard_negative_posts', 0)} hard negatives).", "",
             "| system | macro-F1 | micro-F1 | family macro-F1 | FPR normal | FPR hard neg. | ECE |",
             "|---|---|---|---|---|---|---|"]
    for m in systems:
        lines.append(f"| {m['name']} | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} | {m.get('family_macro_f1', float('nan')):.3f} "
                     f"| {m['fpr_normal']:.3f} | {m.get('fpr_hard_negative', float('nan')):.3f} | {m.get('ece', float('nan')):.3f} |")
    lines += ["", f"## Per label: {main['name']}", "", "| label | precision | recall | F1 | support |"
              + "".join(f" F1 {m['name']} |" for m in systems[1:]), "|---|---|---|---|---|" + "---|" * len(systems[1:])]
    for lab in labels:
        r = main["per_label"][lab]
        lines.append(f"| `{lab}` | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |"
                     + "".join(f" {m['per_label'][lab]['f1']:.3f} |" for m in systems[1:]))
    if "family_f1" in main:
        lines += ["", "## Families", "", "| family | F1 |", "|---|---|"]
        lines += [f"| {k} | {v:.3f} |" for k, v in main["family_f1"].items()]
    lines += ["", f"## Most confused pairs: {main['name']}", "", "| true | predicted | count |", "|---|---|---|"]
    lines += [f"| {c['true']} | {c['predicted']} | {c['count']} |" for c in main["confused_pairs"]]
    lines += ["", "![precision-recall](pr_curves.png)", "", "![reliability](reliability.png)", ""]
    return "\n".join(lines)


def _model_path(name: str | None) -> str | None:
    """'default' names the packaged model (None to from_pretrained), for MODEL and --compare alike."""
    return None if name == "default" else name


def evaluate(model: str | None, data: str, out: Path | None, compare: list[str] = (), tfidf: bool = False,
             train: str = "train", dev: str = "dev", batch_size: int = 64) -> list[dict]:
    from rumorclf import RumorClassifier

    clf = RumorClassifier.from_pretrained(model)
    labels = clf.labels
    families = [clf.taxonomy.family_of(x) for x in labels]
    ex = load_split(data, clf.taxonomy)
    texts = [e.text for e in ex]
    y = multi_hot(ex, labels)
    hard = np.array([e.hard_negative for e in ex])
    thr = [clf.thresholds[x] for x in labels]
    name = clf.meta.get("name", "model")
    systems = [evaluate_system(name, clf.predict_proba(texts, batch_size), thr, y, labels, families, hard)]
    for other in compare:
        c2 = RumorClassifier.from_pretrained(_model_path(other))
        c2.taxonomy.check_model_labels(labels, where=f"compared model {other}")
        systems.append(evaluate_system(c2.meta.get("name", Path(other).name), c2.predict_proba(texts, batch_size),
                                       [c2.thresholds[x] for x in labels], y, labels, families, hard))
    if tfidf:
        score_fn, t_thr = tfidf_baseline(load_split(train, clf.taxonomy), load_split(dev, clf.taxonomy), labels)
        systems.append(evaluate_system("tfidf-char1-3-logreg", score_fn(texts), t_thr, y, labels, families, hard))
    if out:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        plot_pr(systems, y, labels, out / "pr_curves.png")
        plot_reliability(systems, y, out / "reliability.png")
        (out / "report.md").write_text(markdown_report(systems, labels, str(data)), encoding="utf-8")
        clean = [{k: v for k, v in m.items() if not k.startswith("_")} for m in systems]
        (out / "metrics.json").write_text(json.dumps(clean, indent=1, ensure_ascii=False), encoding="utf-8")
    return systems


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model directory ('default' = the packaged model)")
    p.add_argument("data", help="labelled JSONL, or train/dev/test for data/<split>.jsonl")
    p.add_argument("--out", type=Path, default=None, help="directory for report.md, metrics.json and plots")
    p.add_argument("--compare", action="append", default=[], help="another model directory to report beside it")
    p.add_argument("--tfidf", action="store_true", help="add the TF-IDF + logistic-regression baseline")
    p.add_argument("--train", default=str(DATA_DIR / "train.jsonl"), help="training data for the TF-IDF baseline")
    p.add_argument("--dev", default=str(DATA_DIR / "dev.jsonl"), help="dev data for the baseline's thresholds")
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    systems = evaluate(_model_path(args.model), args.data, args.out, args.compare,
                       args.tfidf, args.train, args.dev, args.batch_size)
    for m in systems:
        print(f"{m['name']:32s} macro-F1 {m['macro_f1']:.3f}  micro-F1 {m['micro_f1']:.3f}  "
              f"FPR normal {m['fpr_normal']:.3f}  FPR hard-neg {m.get('fpr_hard_negative', float('nan')):.3f}")
    if args.out:
        print(f"report: {args.out / 'report.md'}")
    return systems


if __name__ == "__main__":
    main()
