"""The report's charts as Vega-Lite specifications (plain JSON-able dicts), and the Vega JS.

Vega-Lite draws them in the page through vega-embed; the three libraries (vega, vega-lite,
vega-embed, ~0.9 MB minified) come from `vl-convert-python` (the Vega project's own packaging,
also what altair inlines) and are inlined into the HTML, so the file opens offline. Every chart
has tooltips; the family legends are clickable (highlight a family), the category chart has a
family drop-down filter, and the trend has an overview strip to brush (zoom) the time range.
"""

from __future__ import annotations

import functools
import importlib
from datetime import date, timedelta

from ...taxonomy import Taxonomy
from .data import UNKNOWN_DAY

MAX_FILL_DAYS = 400   # fill gaps between first and last day with zeros up to this span
WIDTH = 900           # px; the page scales the SVG down on narrow screens
FLAGGED_COLOUR = "#cfd8e3"
EXTRA = "report"      # the optional extra that brings jinja2 and vl-convert-python


class ReportDependencyError(ImportError, ValueError):
    """A package the HTML report needs is not installed (install the `report` extra)."""


def require(module: str, dist: str):
    """Import `module` or raise ReportDependencyError naming the pip package and the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ReportDependencyError(
            f"the HTML report needs {dist} ({e}); install the report extra: "
            f"pip install 'rumorclf[{EXTRA}]'", name=module) from e


@functools.lru_cache(maxsize=1)
def vega_bundle() -> tuple[str, dict]:
    """(the vega + vega-lite + vega-embed JavaScript, their versions). It sets window.vegaEmbed."""
    vlc = require("vl_convert", "vl-convert-python")
    js = vlc.javascript_bundle()
    versions = {"vega": vlc.get_vega_version(), "vega-lite": vlc.get_vegalite_versions()[-1],
                "vega-embed": vlc.get_vega_embed_version()}
    # never end the inline <script> early (the bundle has no such text today; stay safe)
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--"), versions


def _config(font: str) -> dict:
    return {"font": font, "view": {"stroke": None},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#3e4c59"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 260}}


def _family_scale(tax: Taxonomy, colours: dict, families=None) -> dict:
    ids = list(families) if families is not None else [f.id for f in tax.families]
    return {"domain": [family_title(tax, f) for f in ids],
            "range": [colours.get(f, "#7f8c8d") for f in ids]}


def family_name(tax: Taxonomy, fid: str) -> str:
    for f in tax.families:
        if f.id == fid:
            return f.zh or f.en or fid
    return fid


def family_title(tax: Taxonomy, fid: str) -> str:
    return f"{fid} {family_name(tax, fid)}"


def label_name(tax: Taxonomy, lab: str) -> str:
    return (tax.category(lab).zh or lab) if lab in tax.labels else lab


def label_family(tax: Taxonomy, lab: str) -> str:
    return tax.family_of(lab) if lab in tax.labels else "?"


def _legend_pick(name: str) -> dict:
    return {"name": name, "select": {"type": "point", "fields": ["family"]}, "bind": "legend"}


def _dim_unpicked(name: str) -> dict:
    return {"condition": {"param": name, "value": 1}, "value": 0.15}


def fill_days(days: list[str]) -> list[str]:
    """Every day from the first to the last (when the span is at most MAX_FILL_DAYS)."""
    if not days:
        return []
    d0, d1 = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    span = (d1 - d0).days
    if span > MAX_FILL_DAYS:
        return days
    return [(d0 + timedelta(i)).isoformat() for i in range(span + 1)]


def trend_spec(by_day: dict, tax: Taxonomy, colours: dict, font: str) -> dict | None:
    """Bars: flagged posts per day; lines: posts per family per day; an overview strip below
    whose brush sets the time range of the chart above. None without dated posts."""
    days = fill_days(sorted(d for d in by_day if d != UNKNOWN_DAY))
    if not days:
        return None
    fams = [f.id for f in tax.families]
    fams += sorted({f for v in by_day.values() for f in v["families"]} - set(fams))
    flagged = [{"day": d, "flagged": by_day.get(d, {}).get("flagged", 0),
                "posts": by_day.get(d, {}).get("posts", 0)} for d in days]
    shown = [f for f in fams if any(by_day.get(d, {}).get("families", {}).get(f) for d in days)]
    lines = [{"day": d, "family": family_title(tax, f),
              "posts": by_day.get(d, {}).get("families", {}).get(f, 0)}
             for f in shown for d in days]
    x = {"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": None,
         "axis": {"format": "%m-%d", "labelAngle": 0}}
    detail_x = {**x, "scale": {"domain": {"param": "brush"}}}
    fam_colour = {"field": "family", "type": "nominal", "scale": _family_scale(tax, colours, shown),
                  "legend": {"title": "类别族（点击筛选）", "orient": "top"}}
    return {
        "config": _config(font),
        "datasets": {"flagged": flagged, "families": lines},
        "vconcat": [
            {"width": WIDTH, "height": 240, "layer": [
                {"data": {"name": "flagged"},
                 "mark": {"type": "bar", "color": FLAGGED_COLOUR, "width": {"band": 0.7}},
                 "encoding": {"x": detail_x,
                              "y": {"field": "flagged", "type": "quantitative", "title": "帖子数"},
                              "tooltip": [{"field": "day", "title": "日期"},
                                          {"field": "flagged", "title": "涉企侵权帖"},
                                          {"field": "posts", "title": "帖子总数"}]}},
                {"data": {"name": "families"}, "params": [_legend_pick("trend_family")],
                 "mark": {"type": "line", "point": True, "strokeWidth": 2},
                 "encoding": {"x": {**detail_x, "bandPosition": 0.5},
                              "y": {"field": "posts", "type": "quantitative"},
                              "color": fam_colour, "opacity": _dim_unpicked("trend_family"),
                              "tooltip": [{"field": "day", "title": "日期"},
                                          {"field": "family", "title": "类别族"},
                                          {"field": "posts", "title": "帖子数"}]}},
            ]},
            {"width": WIDTH, "height": 50, "data": {"name": "flagged"},
             "params": [{"name": "brush", "select": {"type": "interval", "encodings": ["x"]}}],
             "mark": {"type": "bar", "color": "#9aa4b2", "width": {"band": 0.7}},
             "encoding": {"x": {**x, "title": "在此拖选时间范围以放大上图（双击复原）"},
                          "y": {"field": "flagged", "type": "quantitative", "title": None,
                                "axis": {"tickCount": 2}}}},
        ],
    }


def _bar_rows(counts: dict, posts: int, flagged: int, name, family) -> list[dict]:
    return [{"id": k, "name": name(k), "family": family(k), "posts": n,
             "share": n / posts if posts else 0.0, "share_flagged": n / flagged if flagged else 0.0}
            for k, n in counts.items()]


def bars_spec(rows: list[dict], tax: Taxonomy, colours: dict, font: str, *,
              family_filter: bool) -> dict:
    """Horizontal bars (one row per category or family), coloured by family, with tooltips; the
    legend highlights a family; `family_filter` adds a drop-down that keeps one family."""
    fams = list(dict.fromkeys(r["family"] for r in rows))
    params, transform = [], []
    if family_filter:
        params.append({"name": "family_only", "value": "全部",
                       "bind": {"input": "select", "options": ["全部", *fams],
                                "name": "只看类别族 "}})
        transform.append({"filter": "family_only == '全部' || datum.family == family_only"})
    y = {"field": "name", "type": "nominal", "title": None, "sort": [r["name"] for r in rows],
         "axis": {"labelLimit": 240}}
    tooltip = [{"field": "name", "title": "名称"}, {"field": "family", "title": "类别族"},
               {"field": "posts", "title": "帖子数"},
               {"field": "share", "title": "占全部帖子", "format": ".1%"},
               {"field": "share_flagged", "title": "占涉企侵权帖", "format": ".1%"}]
    return {
        "config": _config(font), "width": WIDTH - 300, "height": {"step": 24},
        "data": {"values": rows}, "params": params, "transform": transform,
        "encoding": {"y": y, "tooltip": tooltip},
        "layer": [
            {"params": [_legend_pick("bar_family")], "mark": {"type": "bar", "cornerRadiusEnd": 2},
             "encoding": {"x": {"field": "posts", "type": "quantitative", "title": "帖子数"},
                          "color": {"field": "family", "type": "nominal",
                                    "scale": _family_scale(tax, colours, _ids(tax, fams)),
                                    "legend": {"title": "类别族（点击筛选）", "orient": "top"}},
                          "opacity": _dim_unpicked("bar_family")}},
            {"transform": [{"calculate": "datum.posts + ' (' + format(datum.share, '.1%') + ')'",
                            "as": "text"}],
             "mark": {"type": "text", "align": "left", "dx": 4, "color": "#3e4c59"},
             "encoding": {"x": {"field": "posts", "type": "quantitative"},
                          "text": {"field": "text"}}},
        ],
    }


def _ids(tax: Taxonomy, titles: list[str]) -> list[str]:
    """Family ids back from their titles ('A 事实捏造类' -> 'A'), in the given order."""
    by_title = {family_title(tax, f.id): f.id for f in tax.families}
    return [by_title.get(t, t.split(" ", 1)[0]) for t in titles]


def family_rows(agg: dict, tax: Taxonomy) -> list[dict]:
    return _bar_rows(agg["by_family"], agg["posts"], agg["flagged"],
                     lambda f: family_title(tax, f), lambda f: family_title(tax, f))


def label_rows(agg: dict, tax: Taxonomy) -> list[dict]:
    return _bar_rows(agg["by_label"], agg["posts"], agg["flagged"],
                     lambda lab: label_name(tax, lab),
                     lambda lab: family_title(tax, label_family(tax, lab)))


def targets_spec(shown: list[tuple[str, dict]], tax: Taxonomy, colours: dict,
                 font: str) -> dict | None:
    """One stacked bar per target: its flagged posts split by category, coloured by family."""
    rows = [{"target": name, "label": label_name(tax, lab),
             "family": family_title(tax, label_family(tax, lab)), "n": n,
             "posts": v["posts"], "flagged": v["flagged"]}
            for name, v in shown for lab, n in sorted(v["labels"].items(), key=lambda kv: -kv[1])]
    if not rows:
        return None
    present = {r["family"] for r in rows}
    fams = [t for t in (family_title(tax, f.id) for f in tax.families) if t in present]
    fams += sorted(present - set(fams))
    return {
        "config": _config(font), "width": WIDTH - 300, "height": {"step": 24},
        "data": {"values": rows}, "params": [_legend_pick("target_family")],
        "mark": {"type": "bar", "stroke": "#fff", "strokeWidth": 1},
        "encoding": {
            "y": {"field": "target", "type": "nominal", "title": None,
                  "sort": [name for name, _ in shown], "axis": {"labelLimit": 240}},
            "x": {"field": "n", "type": "quantitative", "stack": True, "title": "帖子数（按类别）"},
            "color": {"field": "family", "type": "nominal",
                      "scale": _family_scale(tax, colours, _ids(tax, fams)),
                      "legend": {"title": "类别族（点击筛选）", "orient": "top"}},
            "detail": {"field": "label"},
            "opacity": _dim_unpicked("target_family"),
            "tooltip": [{"field": "target", "title": "企业/品牌"}, {"field": "label", "title": "类别"},
                        {"field": "n", "title": "帖子数"},
                        {"field": "flagged", "title": "涉企侵权帖（合计）"},
                        {"field": "posts", "title": "提及帖子（合计）"}]},
    }
