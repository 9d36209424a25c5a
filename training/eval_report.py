"""The evaluation's files: precision-recall and reliability plots, and the Markdown report."""

from __future__ import annotations

from pathlib import Path

import numpy as np


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
             "Real posts: `real FA` = share of real_dev's verified true news given any label (false alarms); "
             "`real ER` = share of its enterprise-related rumours given any label (soft recall).", "",
             "| system | macro-F1 | micro-F1 | family macro-F1 | FPR normal | FPR hard neg. | ECE | dev macro-F1 | real FA | real ER |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def f(v):
        return "–" if v is None else f"{v:.3f}"
    for m in systems:
        lines.append(f"| {m['name']} | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} | {m.get('family_macro_f1', float('nan')):.3f} "
                     f"| {m['fpr_normal']:.3f} | {m.get('fpr_hard_negative', float('nan')):.3f} | {m.get('ece', float('nan')):.3f} "
                     f"| {f(m.get('dev_macro_f1'))} | {f(m.get('real_false_alarms'))} | {f(m.get('real_enterprise_rumours_flagged'))} |")
    gate = main.get("ship_gate")
    if gate:
        lines += ["", f"**Ship gate** ({gate['candidate']} vs {gate['baseline']}, same run): "
                  f"{'PASS' if gate['passes'] else 'FAIL'}: dev macro-F1 {f(gate['dev_macro_f1'][0])} vs "
                  f"{f(gate['dev_macro_f1'][1])}; real false alarms {f(gate['real_false_alarms'][0])} vs "
                  f"{f(gate['real_false_alarms'][1])}."]
    kept = [m for m in systems if "embedding_kept" in m]
    if kept:
        lines += ["", "Dev infringing posts embedded in ordinary real text: share of the labels given to the "
                  "post alone that are still given (after 1-5 real sentences / inside a review / at the start "
                  "of a ~1,500-character post):", ""]
        lines += [f"- {m['name']}: " + ", ".join(f"{k} {v:.1%}" for k, v in m["embedding_kept"].items()
                                                 if k != "labels_alone") for m in kept]
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
