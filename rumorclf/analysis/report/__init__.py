"""The indicator report (舆情指标报告): aggregate a classified JSONL file into one HTML page + a CSV.

    from rumorclf.analysis.report import build_report     # or: from rumorclf.report import ...
    agg = build_report("classified.jsonl", "report.html")

The input is the output of `rumorclf classify` (every input field plus `pred_labels`,
`pred_families`, `score_<label>`, `pred_empty`, ... and, when present, `pred_evidence` and
`pred_targets`). It is streamed line by line, so its size does not matter; only the counters and
the `top_n` best posts per category are held in memory.

A file with lines but no classified row (not yet classified, a CSV) raises `ReportError` (a
ValueError) saying so, before anything is written; an empty file gives an empty report.

The HTML file is self-contained and opens offline: a Jinja2 template (`templates/report.html.j2`,
autoescaped) with interactive Vega-Lite charts whose JavaScript (vega, vega-lite, vega-embed,
~0.9 MB) is inlined; no external asset, no web font (a generic CJK font stack). Every piece of
post text is HTML-escaped; evidence spans are wrapped in <mark> using their character offsets
into the original text. It needs the `report` extra (jinja2, vl-convert-python); without it
`build_report` raises `ReportDependencyError` (an ImportError and a ValueError) before reading.

The CSV is long format, `dimension,key,posts,share`, with `share` = posts / all valid posts
(for `total,malformed`: malformed / lines read). Dimensions:

    total         posts, flagged, normal, empty, normalized, malformed, no_date
    label         a category id -> posts carrying it (every taxonomy category, zeros included)
    family        a family id   -> posts carrying a category of that family
    target        a target name -> posts naming it (flagged or not)
    target_flagged  target name -> flagged posts naming it
    target_label  "<target>|<label>" -> posts naming the target that carry the label
    day           YYYY-MM-DD or "unknown" -> posts that day
    day_flagged   day -> flagged posts that day
    day_family    "<day>|<family>" -> posts that day carrying the family

Only the dimensions asked for in `by` (plus `total`) are written.

Modules: `data` (reading and aggregation), `csv_out` (the CSV), `charts` (Vega-Lite specs and
the inlined JS), `render` (the template and evidence highlighting).
"""

from __future__ import annotations

import os
from datetime import timedelta, timezone
from pathlib import Path

from ...taxonomy import Taxonomy
from .charts import MAX_FILL_DAYS, ReportDependencyError, require
from .csv_out import csv_rows, csv_text
from .data import DATE_FIELDS, DIMENSIONS, UNKNOWN_DAY, ReportError, aggregate, check_by, parse_day
from .render import FAMILY_COLOURS, FONT_STACK, SNIPPET_CHARS, highlight, render_html

__all__ = ["DATE_FIELDS", "DIMENSIONS", "FAMILY_COLOURS", "FONT_STACK", "MAX_FILL_DAYS",
           "SNIPPET_CHARS", "UNKNOWN_DAY", "ReportDependencyError", "ReportError", "build_report",
           "csv_rows", "highlight", "parse_day", "render_html"]


def build_report(classified_path, out_html, by=("label", "family", "target", "day"), top_n: int = 5,
                 taxonomy=None, date_field: str | None = None, csv_path=None, *,
                 text_field: str = "text", top_targets: int = 20,
                 utc_offset_hours: float = 8.0, title: str = "舆情指标报告") -> dict:
    """Read a classified JSONL file and write the indicator report (HTML) and its numbers (CSV).

    by: which breakdowns to include, any of "label", "family", "target", "day" (a tuple or a
    comma-separated string). top_n: posts shown per category (highest score). taxonomy: a path, a
    Taxonomy, or None for the packaged one. date_field: the field holding the post date (default:
    the first present of date/created_at/time/timestamp/...); ISO strings or unix seconds; posts
    without one count under "unknown". csv_path: default is out_html with .csv. text_field: the
    post text field. top_targets: rows in the target table. utc_offset_hours: the zone unix
    timestamps and offset-aware ISO dates are read in (default 8, China Standard Time).

    Returns the aggregates: posts, flagged, normal, empty, normalized, malformed, no_date,
    share_flagged, by_label, by_family, by_target, by_day, top_posts, date_fields_used, html, csv.
    """
    by = check_by(by)
    if top_n < 0:
        raise ValueError("top_n must be >= 0")
    require("jinja2", "jinja2")           # fail before reading when the extra is missing
    require("vl_convert", "vl-convert-python")
    tax = Taxonomy.load(taxonomy)
    classified_path = Path(classified_path)
    out_html = Path(out_html)
    csv_path = Path(csv_path) if csv_path is not None else out_html.with_suffix(".csv")
    date_fields = (date_field,) if date_field else DATE_FIELDS
    tz = timezone(timedelta(hours=utc_offset_hours))

    agg = aggregate(classified_path, tax, by, top_n, text_field, date_fields, tz)
    agg["html"], agg["csv"] = str(out_html), str(csv_path)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(csv_path, csv_text(agg, tax))
    _atomic_write(out_html, render_html(agg, tax, title=title, top_targets=top_targets))
    return agg


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)
