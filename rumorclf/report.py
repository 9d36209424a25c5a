"""The indicator report (舆情指标报告): aggregate a classified JSONL file into one HTML page + a CSV.

    from rumorclf.report import build_report
    agg = build_report("classified.jsonl", "report.html")

The input is the output of `rumorclf classify` (every input field plus `pred_labels`,
`pred_families`, `score_<label>`, `pred_empty`, ... and, when present, `pred_evidence` and
`pred_targets`). It is streamed line by line, so its size does not matter; only the counters and
the `top_n` best posts per category are held in memory.

A file with lines but no classified row (not yet classified, a CSV) raises `ReportError` (a
ValueError) saying so, before anything is written; an empty file gives an empty report.

The HTML file is self-contained: inline CSS, inline SVG charts drawn here, no script, no external
asset, no web font (a generic CJK font stack). Every piece of post text is HTML-escaped; evidence
spans are wrapped in <mark> using their character offsets into the original text.

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
"""

from __future__ import annotations

import csv
import heapq
import html
import json
import math
import os
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .taxonomy import Taxonomy

DIMENSIONS = ("label", "family", "target", "day")
DATE_FIELDS = ("date", "created_at", "time", "timestamp", "datetime", "created", "publish_time",
               "published_at", "pub_date", "pubdate", "post_time", "posted_at", "ts")
UNKNOWN_DAY = "unknown"
FAMILY_COLOURS = ("#c0392b", "#d68910", "#7d3c98", "#2471a3", "#148f77", "#7f8c8d", "#a04000",
                  "#1e8449")
FONT_STACK = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'
SNIPPET_CHARS = 600   # longer posts are shown as a window around their evidence
MAX_FILL_DAYS = 400   # fill gaps between first and last day with zeros up to this span


# ----------------------------------------------------------------------------- dates
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[T ]?\d{2}:?\d{2}(?::?\d{2})?)?")


def parse_day(value, tz: timezone) -> str | None:
    """A post's date as 'YYYY-MM-DD', or None. Unix seconds (or milliseconds) are read in `tz`;
    ISO strings with an offset are converted to `tz`, naive ones are taken as written."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(float(value), tz)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", s) and not _COMPACT_RE.fullmatch(s):
        return _from_epoch(float(s), tz)
    iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        dt = None
    if dt is not None:
        if dt.tzinfo is not None:
            dt = dt.astimezone(tz)
        return dt.date().isoformat()
    m = _DATE_RE.search(s) or _COMPACT_RE.fullmatch(s)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    return None


def _from_epoch(x: float, tz: timezone) -> str | None:
    if not math.isfinite(x) or x <= 0:
        return None
    if x > 1e11:       # milliseconds
        x /= 1000.0
    try:
        return datetime.fromtimestamp(x, tz).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


# ----------------------------------------------------------------------------- reading
class _Row:
    __slots__ = (
        "day",
        "empty",
        "evidence",
        "families",
        "labels",
        "line",
        "normalized",
        "scores",
        "targets",
        "text",
    )


def _read(path: Path, text_field: str, taxonomy: Taxonomy, date_fields: tuple[str, ...],
          tz: timezone, stats: Counter):
    """Yield one _Row per valid classified line; count what was skipped in `stats`."""
    known = set(taxonomy.labels)
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                d = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                stats["malformed"] += 1
                stats["not_json"] += 1
                continue
            if not isinstance(d, dict) or not isinstance(d.get("pred_labels"), list):
                stats["malformed"] += 1
                stats["unlabelled" if isinstance(d, dict) else "not_json"] += 1
                continue
            text = d.get(text_field, "")
            if text is None:
                text = ""
            if not isinstance(text, str):
                stats["malformed"] += 1
                continue
            r = _Row()
            r.line = lineno
            r.text = text
            r.labels = list(dict.fromkeys(str(x) for x in d["pred_labels"]))
            fams = d.get("pred_families")
            if isinstance(fams, list):
                r.families = list(dict.fromkeys(str(x) for x in fams))
            else:
                r.families = list(dict.fromkeys(
                    taxonomy.family_of(x) for x in r.labels if x in known))
            r.scores = {x: _num(d.get(f"score_{x}")) for x in r.labels}
            r.empty = bool(d.get("pred_empty", False))
            r.normalized = bool(d.get("pred_normalized", False))
            ev = d.get("pred_evidence")
            r.evidence = ev if isinstance(ev, dict) else {}
            tg = d.get("pred_targets")
            r.targets = tg if isinstance(tg, list) else []
            r.day = None
            for name in date_fields:
                if name in d:
                    r.day = parse_day(d[name], tz)
                    if r.day is not None:
                        stats["date_field:" + name] += 1
                        break
            yield r


def _num(v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _target_names(targets: list) -> list[str]:
    names = []
    for t in targets:
        if isinstance(t, dict):
            n = t.get("name") or t.get("matched")
        elif isinstance(t, str):
            n = t
        else:
            n = None
        if isinstance(n, str) and n.strip():
            names.append(n.strip())
    return list(dict.fromkeys(names))


# ----------------------------------------------------------------------------- aggregation
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
    if isinstance(by, str):
        by = [b.strip() for b in by.split(",") if b.strip()]
    by = tuple(dict.fromkeys(by))
    bad = [b for b in by if b not in DIMENSIONS]
    if bad:
        raise ValueError(f"unknown report dimension(s) {bad}; choose from {', '.join(DIMENSIONS)}")
    if top_n < 0:
        raise ValueError("top_n must be >= 0")
    tax = Taxonomy.load(taxonomy)
    classified_path = Path(classified_path)
    out_html = Path(out_html)
    csv_path = Path(csv_path) if csv_path is not None else out_html.with_suffix(".csv")
    date_fields = (date_field,) if date_field else DATE_FIELDS
    tz = timezone(timedelta(hours=utc_offset_hours))

    stats: Counter = Counter()
    by_label: Counter = Counter({lab: 0 for lab in tax.labels})
    by_family: Counter = Counter({f.id: 0 for f in tax.families})
    by_target: dict[str, dict] = {}
    by_day: dict[str, dict] = {}
    heaps: dict[str, list] = defaultdict(list)
    seq = 0

    for r in _read(classified_path, text_field, tax, date_fields, tz, stats):
        stats["posts"] += 1
        flagged = bool(r.labels)
        stats["flagged" if flagged else "normal"] += 1
        stats["empty"] += r.empty
        stats["normalized"] += r.normalized
        by_label.update(r.labels)
        by_family.update(r.families)
        if "target" in by:
            for name in _target_names(r.targets):
                t = by_target.setdefault(name, {"posts": 0, "flagged": 0, "labels": Counter()})
                t["posts"] += 1
                t["flagged"] += flagged
                t["labels"].update(r.labels)
        day = r.day or UNKNOWN_DAY
        if r.day is None:
            stats["no_date"] += 1
        if "day" in by:
            dd = by_day.setdefault(day, {"posts": 0, "flagged": 0, "families": Counter()})
            dd["posts"] += 1
            dd["flagged"] += flagged
            dd["families"].update(r.families)
        if top_n:
            for lab in r.labels:
                seq += 1
                item = (r.scores.get(lab, 0.0), -seq, r, lab)
                h = heaps[lab]
                if len(h) < top_n:
                    heapq.heappush(h, item)
                elif item[:2] > h[0][:2]:
                    heapq.heapreplace(h, item)

    posts = stats["posts"]
    if not posts and stats["malformed"]:  # lines, but none classified (an empty file is an empty report)
        raise ReportError(_why_no_posts(classified_path, stats))
    top_posts = {}
    for lab in list(tax.labels) + sorted(set(heaps) - set(tax.labels)):
        if lab in heaps:
            ranked = sorted(heaps[lab], key=lambda it: (it[0], it[1]), reverse=True)
            top_posts[lab] = [_top_entry(score, r, lab) for score, _, r, _ in ranked]

    agg = {
        "posts": posts, "flagged": stats["flagged"], "normal": stats["normal"],
        "empty": stats["empty"], "normalized": stats["normalized"],
        "malformed": stats["malformed"], "no_date": stats["no_date"],
        "share_flagged": stats["flagged"] / posts if posts else 0.0,
        "by": list(by),
        "date_fields_used": {k.split(":", 1)[1]: v for k, v in stats.items()
                             if k.startswith("date_field:")},
        "top_posts": top_posts,
        "taxonomy": {"name": tax.name, "version": tax.version},
        "source": str(classified_path),
        "html": str(out_html), "csv": str(csv_path),
    }
    if "label" in by:
        agg["by_label"] = dict(by_label)
    if "family" in by:
        agg["by_family"] = dict(by_family)
    if "target" in by:
        agg["by_target"] = {
            k: {"posts": v["posts"], "flagged": v["flagged"], "labels": dict(v["labels"])}
            for k, v in sorted(by_target.items(), key=lambda kv: (-kv[1]["flagged"],
                                                                   -kv[1]["posts"], kv[0]))}
    if "day" in by:
        agg["by_day"] = {
            k: {"posts": v["posts"], "flagged": v["flagged"], "families": dict(v["families"])}
            for k, v in sorted(by_day.items(), key=lambda kv: (kv[0] == UNKNOWN_DAY, kv[0]))}

    out_html.parent.mkdir(parents=True, exist_ok=True)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(csv_path, _csv_text(agg, tax))
    _atomic_write(out_html, render_html(agg, tax, title=title, top_targets=top_targets))
    return agg


class ReportError(ValueError):
    """The input holds no classified post: nothing to report."""


def _why_no_posts(path: Path, stats: Counter) -> str:
    reads = "the report reads the JSON Lines output of `rumorclf classify` (rows with pred_labels)"
    if stats["unlabelled"]:
        return (f"{path}: no label fields found ({stats['unlabelled']} JSON rows without pred_labels); "
                f"classify it first (rumorclf classify {path} -o classified.jsonl); {reads}")
    return f"{path}: not JSON Lines ({stats['not_json']} lines are not JSON objects); {reads}"


def _top_entry(score: float, r: _Row, lab: str) -> dict:
    spans = r.evidence.get(lab) if isinstance(r.evidence, dict) else None
    return {"line": r.line, "score": score, "text": r.text, "labels": r.labels, "day": r.day,
            "evidence": spans if isinstance(spans, list) else [],
            "targets": _target_names(r.targets)}


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- CSV
def csv_rows(agg: dict, tax: Taxonomy | None = None) -> list[tuple[str, str, int, float]]:
    """The long-format rows (dimension, key, posts, share) written to the CSV."""
    posts = agg["posts"]

    def share(n, denom=posts):
        return round(n / denom, 6) if denom else 0.0

    rows = []
    for k in ("posts", "flagged", "normal", "empty", "normalized"):
        rows.append(("total", k, agg[k], share(agg[k])))
    rows.append(("total", "malformed", agg["malformed"], share(agg["malformed"],
                                                               posts + agg["malformed"])))
    rows.append(("total", "no_date", agg["no_date"], share(agg["no_date"])))
    for k, n in agg.get("by_label", {}).items():
        rows.append(("label", k, n, share(n)))
    for k, n in agg.get("by_family", {}).items():
        rows.append(("family", k, n, share(n)))
    tg = agg.get("by_target")
    if tg is not None:
        for k, v in tg.items():
            rows.append(("target", k, v["posts"], share(v["posts"])))
        for k, v in tg.items():
            rows.append(("target_flagged", k, v["flagged"], share(v["flagged"])))
        for k, v in tg.items():
            for lab, n in v["labels"].items():
                rows.append(("target_label", f"{k}|{lab}", n, share(n)))
    days = agg.get("by_day")
    if days is not None:
        for k, v in days.items():
            rows.append(("day", k, v["posts"], share(v["posts"])))
        for k, v in days.items():
            rows.append(("day_flagged", k, v["flagged"], share(v["flagged"])))
        for k, v in days.items():
            for fam, n in v["families"].items():
                rows.append(("day_family", f"{k}|{fam}", n, share(n)))
    return rows


def _csv_text(agg: dict, tax: Taxonomy) -> str:
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["dimension", "key", "posts", "share"])
    for dim, key, n, s in csv_rows(agg, tax):
        w.writerow([dim, _csv_safe(key), n, f"{s:.6f}".rstrip("0").rstrip(".") if s else "0"])
    return buf.getvalue()


def _csv_safe(s: str) -> str:
    """Neutralise spreadsheet formula injection in free-text keys (target names)."""
    return "'" + s if s[:1] in ("=", "+", "-", "@") else s


# ----------------------------------------------------------------------------- HTML helpers
def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _pct(n, d) -> str:
    return f"{100.0 * n / d:.1f}%" if d else "–"


def _family_colours(tax: Taxonomy) -> dict[str, str]:
    return {f.id: FAMILY_COLOURS[i % len(FAMILY_COLOURS)] for i, f in enumerate(tax.families)}


def _label_name(tax: Taxonomy, lab: str) -> str:
    return (tax.category(lab).zh or lab) if lab in tax.labels else lab


def _family_name(tax: Taxonomy, fid: str) -> str:
    for f in tax.families:
        if f.id == fid:
            return f.zh or f.en or fid
    return fid


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


def _nice_step(x: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= x (counts are integers)."""
    if x <= 1:
        return 1
    mag = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if x <= m * mag:
            return int(m * mag)
    return int(10 * mag)


def _hbar_svg(items: list[tuple[str, int, str]], total: int, width: int = 760) -> str:
    """Horizontal bars: (label, value, colour)."""
    if not items:
        return '<p class="muted">无数据</p>'
    row, lab_w, val_w = 24, 230, 110
    bar_w = width - lab_w - val_w
    vmax = max(v for _, v, _ in items) or 1
    h = row * len(items) + 6
    parts = [(f'<svg class="chart" role="img" width="{width}" height="{h}" '
              f'viewBox="0 0 {width} {h}">')]
    for i, (name, v, colour) in enumerate(items):
        y = 3 + i * row
        w = bar_w * v / vmax if v else 0
        parts.append(f'<text x="{lab_w - 8}" y="{y + 16}" text-anchor="end" class="ax">'
                     f'{_e(name)}</text>')
        parts.append(f'<rect x="{lab_w}" y="{y + 3}" width="{bar_w}" height="{row - 8}" '
                     f'fill="#f1f3f5"/>')
        if w:
            parts.append(f'<rect x="{lab_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                         f'fill="{colour}"><title>{_e(name)}: {v}</title></rect>')
        parts.append(f'<text x="{lab_w + bar_w + 6}" y="{y + 16}" class="ax">{v} '
                     f'({_pct(v, total)})</text>')
    parts.append("</svg>")
    return "".join(parts)


def _stack_svg(mix: list[tuple[str, int, str]], width: int = 220, height: int = 14) -> str:
    """One stacked bar of a category mix: (name, count, colour)."""
    tot = sum(n for _, n, _ in mix)
    if not tot:
        return '<span class="muted">—</span>'
    parts = [(f'<svg class="stack" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}">')]
    x = 0.0
    for name, n, colour in mix:
        w = width * n / tot
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}" '
                     f'stroke="#fff" stroke-width="1"><title>{_e(name)}: {n}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _fill_days(days: list[str]) -> list[str]:
    if not days:
        return []
    d0, d1 = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    span = (d1 - d0).days
    if span > MAX_FILL_DAYS:
        return days
    return [(d0 + timedelta(i)).isoformat() for i in range(span + 1)]


def _trend_svg(by_day: dict, tax: Taxonomy, colours: dict, width: int = 900,
               height: int = 300) -> str:
    """Bars: flagged posts per day; lines: posts per family per day."""
    days = _fill_days([d for d in by_day if d != UNKNOWN_DAY])
    if not days:
        return '<p class="muted">没有带日期的帖子</p>'
    left, right, top, bottom = 48, 16, 14, 58
    pw, ph = width - left - right, height - top - bottom
    fams = [f.id for f in tax.families]
    extra = sorted({f for v in by_day.values() for f in v["families"]} - set(fams))
    fams += extra
    series = {f: [by_day.get(d, {}).get("families", {}).get(f, 0) for d in days] for f in fams}
    flagged = [by_day.get(d, {}).get("flagged", 0) for d in days]
    vmax = max(flagged + [1])
    ystep = _nice_step(vmax / 4)
    ymax = ystep * math.ceil(vmax / ystep)
    n = len(days)
    step = pw / n
    bw = max(1.0, min(36.0, step * 0.7))

    def y(v):
        return top + ph - ph * v / ymax

    parts = [(f'<svg class="chart" role="img" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}">')]
    for i in range(round(ymax / ystep) + 1):
        v = ystep * i
        yy = y(v)
        parts.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{left + pw}" y2="{yy:.1f}" '
                     f'stroke="#e5e7eb"/>')
        lab = f"{v:,}"
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" class="ax">'
                     f'{lab}</text>')
    label_every = max(1, math.ceil(n / 12))
    for i, (d, v) in enumerate(zip(days, flagged)):
        cx = left + step * (i + 0.5)
        if v:
            parts.append(f'<rect x="{cx - bw / 2:.1f}" y="{y(v):.1f}" width="{bw:.1f}" '
                         f'height="{top + ph - y(v):.1f}" fill="#cfd8e3">'
                         f'<title>{d}: {v} 条涉企侵权帖</title></rect>')
        if i % label_every == 0 or i == n - 1:
            parts.append(f'<text x="{cx:.1f}" y="{top + ph + 16}" text-anchor="middle" '
                         f'class="ax">{d[5:] if n > 1 else d}</text>')
    for f in fams:
        vals = series[f]
        if not any(vals):
            continue
        col = colours.get(f, "#555")
        pts = " ".join(f"{left + step * (i + 0.5):.1f},{y(v):.1f}" for i, v in enumerate(vals))
        if n > 1:
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="2"/>')
        for i, v in enumerate(vals):
            if v:
                parts.append(f'<circle cx="{left + step * (i + 0.5):.1f}" cy="{y(v):.1f}" r="3" '
                             f'fill="{col}"><title>{days[i]} {_e(_family_name(tax, f))}: {v}'
                             f'</title></circle>')
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" '
                 f'stroke="#9aa4b2"/>')
    # legend
    lx, ly = left, height - 16
    parts.append(f'<rect x="{lx}" y="{ly - 9}" width="14" height="10" fill="#cfd8e3"/>'
                 f'<text x="{lx + 18}" y="{ly}" class="ax">全部涉企侵权帖</text>')
    lx += 130
    for f in fams:
        if not any(series[f]):
            continue
        name = f"{f} {_family_name(tax, f)}"
        parts.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 16}" y2="{ly - 4}" '
                     f'stroke="{colours.get(f, "#555")}" stroke-width="3"/>'
                     f'<text x="{lx + 20}" y="{ly}" class="ax">{_e(name)}</text>')
        lx += 30 + 13 * len(name)
    parts.append("</svg>")
    return "".join(parts)


CSS = """
*{box-sizing:border-box}
body{font-family:%(font)s;margin:0;background:#f6f7f9;color:#1f2933;line-height:1.55}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 12px;padding-bottom:6px;border-bottom:2px solid #d9dee5}
h3{font-size:16px;margin:20px 0 8px}
.muted{color:#6b7785}
.meta{font-size:13px;color:#6b7785}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0 4px}
.card{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:10px 16px;flex:1 1 130px}
.card .v{font-size:26px;font-weight:700}
.card .k{font-size:13px;color:#6b7785}
.card.hot .v{color:#c0392b}
section{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:4px 20px 16px;
 margin-top:18px}
table{border-collapse:collapse;width:100%%;font-size:14px}
table.narrow{width:auto;min-width:60%%}
th,td{border-bottom:1px solid #edf0f3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f8f9fb;font-weight:600}
th.n,td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.fam{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.chart text.ax,.chart .ax{font-size:12px;fill:#3e4c59;font-family:%(font)s}
svg{max-width:100%%;height:auto}
svg.stack{vertical-align:middle}
.post{border:1px solid #e6e9ed;border-radius:6px;padding:8px 12px;margin:8px 0;background:#fcfcfd}
.post .hd{font-size:12px;color:#6b7785;margin-bottom:4px}
.post .tx{white-space:pre-wrap;word-break:break-word}
mark{background:#ffe08a;color:inherit;padding:0 1px;border-radius:2px}
.chip{display:inline-block;font-size:12px;border-radius:10px;padding:0 8px;margin:0 4px 2px 0;
 background:#eef1f5;color:#334}
.score{font-weight:700;color:#1f2933}
footer{margin-top:28px;font-size:12px;color:#8a94a0}
"""


def render_html(agg: dict, tax: Taxonomy, title: str = "舆情指标报告", top_targets: int = 20) -> str:
    colours = _family_colours(tax)
    posts, flagged = agg["posts"], agg["flagged"]
    by = agg["by"]
    known = set(tax.labels)

    def lab_colour(lab):
        return colours.get(tax.family_of(lab), "#7f8c8d") if lab in known else "#7f8c8d"

    out = ['<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{CSS % {'font': FONT_STACK}}</style></head>",
           "<body><main>", f"<h1>{_e(title)}</h1>"]
    dfu = agg.get("date_fields_used") or {}
    date_note = ("日期字段：" + "、".join(f"{_e(k)}（{v}）" for k, v in dfu.items())
                 if dfu else "未找到日期字段")
    out.append(f'<div class="meta">数据文件：{_e(os.path.basename(agg["source"]))} · 分类体系：'
               f'{_e(agg["taxonomy"]["name"])} v{_e(agg["taxonomy"]["version"])} · {date_note}'
               f' · 生成时间：{datetime.now().strftime("%Y-%m-%d %H:%M")}</div>')

    cards = [("帖子总数", posts, ""), ("涉企侵权帖", flagged, "hot"),
             ("涉企侵权占比", _pct(flagged, posts), "hot"), ("正常帖", agg["normal"], ""),
             ("空帖", agg["empty"], ""), ("格式错误行", agg["malformed"], ""),
             ("无日期", agg["no_date"], "")]
    out.append('<div class="cards">' + "".join(
        f'<div class="card {c}"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
        for k, v, c in cards) + "</div>")

    if "day" in by:
        days = agg["by_day"]
        out.append('<section><h2>按日期趋势</h2>')
        out.append('<p class="meta">柱：每日涉企侵权帖数；折线：各类别族每日帖子数。</p>')
        out.append(_trend_svg(days, tax, colours))
        fams = [f.id for f in tax.families]
        out.append('<table><tr><th>日期</th><th class="n">帖子数</th><th class="n">涉企侵权帖</th>'
                   '<th class="n">占比</th>'
                   + "".join(f'<th class="n">{_e(f)} {_e(_family_name(tax, f))}</th>' for f in fams)
                   + "</tr>")
        for d, v in days.items():
            dname = "未知日期" if d == UNKNOWN_DAY else d
            out.append(f'<tr><td>{_e(dname)}</td><td class="n">{v["posts"]}</td>'
                       f'<td class="n">{v["flagged"]}</td>'
                       f'<td class="n">{_pct(v["flagged"], v["posts"])}</td>'
                       + "".join(f'<td class="n">{v["families"].get(f, 0)}</td>' for f in fams)
                       + "</tr>")
        out.append("</table></section>")

    if "family" in by:
        fam_counts = agg["by_family"]
        items = [(f"{fid} {_family_name(tax, fid)}", n, colours.get(fid, "#7f8c8d"))
                 for fid, n in fam_counts.items()]
        out.append('<section><h2>按类别族统计</h2>')
        out.append(_hbar_svg(items, posts))
        out.append('<table class="narrow"><tr><th>类别族</th><th>名称</th><th class="n">帖子数</th>'
                   '<th class="n">占全部帖子</th><th class="n">占涉企侵权帖</th></tr>')
        for fid, n in fam_counts.items():
            out.append(f'<tr><td><span class="fam" style="background:{colours.get(fid, "#7f8c8d")}">'
                       f'</span>{_e(fid)}</td><td>{_e(_family_name(tax, fid))}</td>'
                       f'<td class="n">{n}</td><td class="n">{_pct(n, posts)}</td>'
                       f'<td class="n">{_pct(n, flagged)}</td></tr>')
        out.append("</table></section>")

    if "label" in by:
        lab_counts = agg["by_label"]
        items = [(_label_name(tax, lab), n, lab_colour(lab)) for lab, n in lab_counts.items()]
        out.append('<section><h2>按类别统计（15 类）</h2>' if len(tax) == 15 else
                   f'<section><h2>按类别统计（{len(tax)} 类）</h2>')
        out.append('<p class="meta">一条帖子可属于多个类别，各类之和可大于涉企侵权帖数。</p>')
        out.append(_hbar_svg(items, posts))
        out.append('<table><tr><th>类别</th><th>id</th><th>类别族</th><th class="n">帖子数</th>'
                   '<th class="n">占全部帖子</th><th class="n">占涉企侵权帖</th></tr>')
        for lab, n in lab_counts.items():
            fam = tax.family_of(lab) if lab in known else "?"
            out.append(f'<tr><td><span class="fam" style="background:{lab_colour(lab)}"></span>'
                       f'{_e(_label_name(tax, lab))}</td><td><code>{_e(lab)}</code></td>'
                       f'<td>{_e(fam)} {_e(_family_name(tax, fam))}</td><td class="n">{n}</td>'
                       f'<td class="n">{_pct(n, posts)}</td><td class="n">{_pct(n, flagged)}</td></tr>')
        out.append("</table></section>")

    if "target" in by:
        tg = agg["by_target"]
        out.append('<section><h2>按涉及企业统计</h2>')
        if not tg:
            out.append('<p class="muted">数据中没有 pred_targets（分类时未使用 --watchlist）。</p>')
        else:
            shown = list(tg.items())[:top_targets]
            out.append(f'<p class="meta">共 {len(tg)} 个企业/品牌被提及，'
                       f'按涉企侵权帖数列出前 {len(shown)} 个。</p>')
            out.append('<table><tr><th>企业/品牌</th><th class="n">提及帖子</th>'
                       '<th class="n">涉企侵权帖</th><th class="n">侵权占比</th><th>类别构成</th>'
                       '<th>主要类别</th></tr>')
            for name, v in shown:
                mix = sorted(v["labels"].items(), key=lambda kv: (-kv[1], kv[0]))
                stack = _stack_svg([(_label_name(tax, lab), n, lab_colour(lab))
                                    for lab, n in mix])
                chips = "".join(f'<span class="chip">{_e(_label_name(tax, lab))} {n}</span>'
                                for lab, n in mix[:4])
                out.append(f'<tr><td>{_e(name)}</td><td class="n">{v["posts"]}</td>'
                           f'<td class="n">{v["flagged"]}</td>'
                           f'<td class="n">{_pct(v["flagged"], v["posts"])}</td>'
                           f'<td>{stack}</td><td>{chips}</td></tr>')
            out.append("</table>")
        out.append("</section>")

    tops = agg["top_posts"]
    if tops:
        out.append('<section><h2>各类别得分最高的帖子</h2>')
        out.append('<p class="meta">黄色高亮为模型给出的证据片段。</p>')
        for lab, entries in tops.items():
            out.append(f'<h3><span class="fam" style="background:{lab_colour(lab)}"></span>'
                       f'{_e(_label_name(tax, lab))} <code class="muted">{_e(lab)}</code></h3>')
            for it in entries:
                others = [x for x in it["labels"] if x != lab]
                meta = [f'<span class="score">得分 {it["score"]:.3f}</span>', f'第 {it["line"]} 行']
                if it["day"]:
                    meta.append(_e(it["day"]))
                chips = [f'<span class="chip">@{_e(t)}</span>' for t in it["targets"]]
                chips += [f'<span class="chip">{_e(_label_name(tax, x))}</span>' for x in others]
                body = highlight(it["text"], it["evidence"]) or '<span class="muted">（空）</span>'
                out.append(f'<div class="post"><div class="hd">{" · ".join(meta)} '
                           f'{" ".join(chips)}</div>'
                           f'<div class="tx">{body}</div></div>')
        out.append("</section>")

    out.append('<footer>由 rumorclf 生成。分类结果为模型预测，需人工复核后方可作为处置依据。</footer>')
    out.append("</main></body></html>\n")
    return "\n".join(out)
