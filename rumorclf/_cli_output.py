"""What the CLI prints: consoles, messages, the run summary, the --text table.

Everything printed that comes from a user, a file or a post (paths, texts, messages) is printed as
plain text, never read as rich markup; messages and the summary go to stderr, in plain lines when
stderr is not a terminal. Only `rumorclf.cli` imports this module.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

# soft_wrap: a message is one line however narrow the terminal or pipe (rich wraps at 80 otherwise)
err = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


def say(msg: str) -> None:
    """A message on stderr, as plain text (a file name like posts[1].jsonl stays as it is)."""
    err.print(Text(str(msg)))


def fail(msg: str, code: int = 2):
    err.print(Text.assemble(("error: ", "bold red"), str(msg)))
    raise typer.Exit(code)


def print_predictions(texts, preds, clf, thresholds) -> None:
    """--text on a terminal: a table of labels, scores and thresholds per post, then its labels,
    evidence and targets."""
    for text, p in zip(texts, preds):
        t = Table(title=Text(text), title_justify="left", show_edge=False)
        for col in ("label", "中文", "score", "threshold", ""):
            t.add_column(col)
        for j in sorted(range(len(clf.labels)), key=lambda j: -p.scores[clf.labels[j]]):
            lab = clf.labels[j]
            hit = lab in p.labels
            t.add_row(Text(lab, style="bold" if hit else ""), Text(clf.taxonomy.category(lab).zh),
                      f"{p.scores[lab]:.3f}", f"{thresholds[j]:.2f}", "✔" if hit else "")
        out.print(t)
        out.print(Text.assemble(("labels: ", "bold"), ", ".join(p.labels) if p.labels else "none (normal post)"))
        for lab, spans in (p.evidence or {}).items():
            out.print(Text(f"evidence for {lab}: " + " | ".join(s["text"] for s in spans)))
        if p.targets:
            out.print(Text("targets: " + ", ".join(x["name"] for x in p.targets)))


_SUMMARY_KEYS = ("input", "output", "records", "written", "errors", "errors_file", "resumed_from",
                 "seconds", "posts_per_second", "threads")


def print_summary(s: dict) -> None:
    if s.get("already_complete"):
        return
    rows = [(k, str(s[k])) for k in _SUMMARY_KEYS if k in s and not (k == "errors_file" and not s.get("errors"))]
    if s.get("removed"):
        rows.append(("removed", ", ".join(s["removed"]) + " (finished, nothing to resume"
                     + ("" if s.get("errors") else ", no errors") + ")"))
    if err.is_terminal:
        t = Table(title="rumorclf classify", show_header=False)
        for k, v in rows:
            t.add_row(k, Text(v))
        err.print(t)
    else:
        for k, v in rows:
            say(f"{k}: {v}")
    if s.get("errors"):
        err.print(Text.assemble((f"{s['errors']} malformed records", "yellow"), f" listed in {s['errors_file']}"))
