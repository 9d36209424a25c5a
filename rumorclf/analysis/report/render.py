"""The report's HTML: a Jinja2 template (templates/report.html.j2, autoescaped) filled with the
aggregates, the Vega-Lite chart specs and the inlined Vega JavaScript."""

from __future__ import annotations

import html
import os
from datetime import datetime

from ...taxonomy import Taxonomy
from . import charts
from .charts import family_name, family_title, label_family, label_name, require
from .data import UNKNOWN_DAY

FAMILY_COLOURS = ("#c0392b", "#d68910", "#7d3c98", "#2471a3", "#148f77", "#7f8c8d", "#a04000",
                  "#1e8449")
FONT_STACK = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'
SNIPPET_CHARS = 600   # longer posts are shown as a window around their evidence
TEMPLATE = "report.html.j2"


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def pct(n, d) -> str:
    return f"{100.0 * n / d:.1f}%" if d else "–"


def family_colours(tax: Taxonomy) -> dict[str, str]:
    return {f.id: FAMILY_COLOURS[i % len(FAMILY_COLOURS)] for i, f in enumerate(tax.families)}


def highlight(text: str, spans, max_chars: int = SNIPPET_CHARS) -> str:
    """HTML for `text` with each evidence span wrapped in <mark>; everything escaped.

    spans: [{"start", "end", "text"?, "weight"?}] with character offsets into `text`. A span whose
    offsets do not match its "text" is looked up by its text instead; spans that cannot be placed
    are dropped; overlapping spans are merged. Posts longer than max_chars are cut to a window
    around the first span, with an ellipsis."""
    ivs = []
    for sp in spans or []:
        if not isinstance(sp, dict):
            continue
        s, e, t = sp.get("start"), sp.get("end"), sp.get("text")
        ok = (isinstance(s, int) and isinstance(e, int) and not isinstance(s, bool)
              and 0 <= s < e <= len(text))
        if ok and isinstance(t, str) and t and text[s:e] != t:
            ok = False
        if not ok and isinstance(t, str) and t:
            i = text.find(t)
            if i >= 0:
                s, e, ok = i, i + len(t), True
        if ok:
            ivs.append([s, e])
    ivs.sort()
    merged: list[list[int]] = []
    for s, e in ivs:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    lo, hi = 0, len(text)
    if len(text) > max_chars:
        anchor = merged[0][0] if merged else 0
        lo = max(0, anchor - max_chars // 4)
        hi = min(len(text), lo + max_chars)
        lo = max(0, hi - max_chars)
    out, pos = [], lo
    if lo > 0:
        out.append("…")
    for s, e in merged:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out.append(_e(text[pos:s]))
        out.append(f"<mark>{_e(text[s:e])}</mark>")
        pos = e
    out.append(_e(text[pos:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)


def environment():
    """The Jinja2 environment: the package's templates folder, autoescape on, strict undefined."""
    jinja2 = require("jinja2", "jinja2")
    env = jinja2.Environment(loader=jinja2.PackageLoader(__package__, "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["pct"] = pct
    env.filters["highlight"] = lambda text, spans: _markup(highlight(text, spans))
    return env


def _markup(s: str):
    from markupsafe import Markup  # a jinja2 dependency

    return Markup(s)  # noqa: S704 - highlight() escapes every piece of text itself


def render_html(agg: dict, tax: Taxonomy, title: str = "舆情指标报告", top_targets: int = 20) -> str:
    """The report page for `agg` (as returned by build_report) as one self-contained HTML string."""
    env = environment()
    js, versions = charts.vega_bundle()
    colours = family_colours(tax)
    by = agg["by"]
    specs: dict[str, dict] = {}
    if "day" in by:
        spec = charts.trend_spec(agg["by_day"], tax, colours, FONT_STACK)
        if spec is not None:
            specs["trend"] = spec
    if "family" in by:
        specs["family"] = charts.bars_spec(charts.family_rows(agg, tax), tax, colours, FONT_STACK,
                                           family_filter=False)
    if "label" in by:
        specs["label"] = charts.bars_spec(charts.label_rows(agg, tax), tax, colours, FONT_STACK,
                                          family_filter=True)
    shown = list(agg.get("by_target", {}).items())[:top_targets]
    if "target" in by:
        spec = charts.targets_spec(shown, tax, colours, FONT_STACK)
        if spec is not None:
            specs["target"] = spec

    def lab_colour(lab):
        return colours.get(label_family(tax, lab), "#7f8c8d")

    top_rows = [{"label": lab, **it, "others": [x for x in it["labels"] if x != lab]}
                for lab, entries in agg["top_posts"].items() for it in entries]
    return env.get_template(TEMPLATE).render(
        title=title, agg=agg, by=by, tax=tax, n_labels=len(tax), specs=specs, shown=shown,
        top_rows=top_rows, colours=colours, lab_colour=lab_colour, label_name=label_name,
        family_name=family_name, family_title=family_title, label_family=label_family,
        font=FONT_STACK, vega_js=_markup(js), versions=versions, unknown_day=UNKNOWN_DAY,
        source_name=os.path.basename(agg["source"]),
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"))
