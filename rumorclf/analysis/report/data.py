"""Reading classified rows and aggregating them: the numbers behind the report (no HTML here).

`aggregate()` streams a classified JSONL file line by line, so its size does not matter; only the
counters and the `top_n` best posts per category are held in memory.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

from ...schema import read_prediction_rows
from ...taxonomy import Taxonomy

DIMENSIONS = ("label", "family", "target", "day")
DATE_FIELDS = ("date", "created_at", "time", "timestamp", "datetime", "created", "publish_time",
               "published_at", "pub_date", "pubdate", "post_time", "posted_at", "ts")
UNKNOWN_DAY = "unknown"


class ReportError(ValueError):
    """The input holds no classified post: nothing to report."""


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
class Row:
    """One valid classified line, as the report needs it."""

    __slots__ = ("day", "empty", "evidence", "families", "labels", "line", "normalized", "scores",
                 "targets", "text")


def read_rows(path: Path, text_field: str, taxonomy: Taxonomy, date_fields: tuple[str, ...],
              tz: timezone, stats: Counter):
    """Yield one Row per valid classified line; count what was skipped in `stats` (lines that are
    not classified rows are counted by `rumorclf.schema.read_prediction_rows`)."""
    for line, d, pred in read_prediction_rows(path, taxonomy=taxonomy, stats=stats):
        text = d.get(text_field, "")
        if text is None:
            text = ""
        if not isinstance(text, str):
            stats["malformed"] += 1
            continue
        r = Row()
        r.line = line
        r.text = text
        r.labels = pred.labels
        r.families = pred.families
        r.scores = {x: pred.scores.get(x, 0.0) for x in r.labels}
        r.empty = pred.empty
        r.normalized = pred.normalized
        r.evidence = pred.evidence or {}
        r.targets = pred.targets or []
        r.day = None
        for name in date_fields:
            if name in d:
                r.day = parse_day(d[name], tz)
                if r.day is not None:
                    stats["date_field:" + name] += 1
                    break
        yield r


def target_names(targets: list) -> list[str]:
    """The distinct names in a row's pred_targets (dicts with name/matched, or plain strings)."""
    names = []
    for t in targets:
        n = (t.get("name") or t.get("matched")) if isinstance(t, dict) else t
        if isinstance(n, str) and n.strip():
            names.append(n.strip())
    return list(dict.fromkeys(names))


# ----------------------------------------------------------------------------- aggregation
def check_by(by) -> tuple[str, ...]:
    """`by` (a tuple or a comma-separated string) as a tuple of known dimensions."""
    if isinstance(by, str):
        by = [b.strip() for b in by.split(",") if b.strip()]
    by = tuple(dict.fromkeys(by))
    bad = [b for b in by if b not in DIMENSIONS]
    if bad:
        raise ValueError(f"unknown report dimension(s) {bad}; choose from {', '.join(DIMENSIONS)}")
    return by


def aggregate(path: Path, tax: Taxonomy, by: tuple[str, ...], top_n: int, text_field: str,
              date_fields: tuple[str, ...], tz: timezone) -> dict:
    """The aggregates of one classified file (see `build_report` for the keys)."""
    stats: Counter = Counter()
    by_label: Counter = Counter({lab: 0 for lab in tax.labels})
    by_family: Counter = Counter({f.id: 0 for f in tax.families})
    by_target: dict[str, dict] = {}
    by_day: dict[str, dict] = {}
    heaps: dict[str, list] = defaultdict(list)
    seq = 0

    for r in read_rows(path, text_field, tax, date_fields, tz, stats):
        stats["posts"] += 1
        flagged = bool(r.labels)
        stats["flagged" if flagged else "normal"] += 1
        stats["empty"] += r.empty
        stats["normalized"] += r.normalized
        by_label.update(r.labels)
        by_family.update(r.families)
        if "target" in by:
            for name in target_names(r.targets):
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
        raise ReportError(_why_no_posts(path, stats))
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
        "source": str(path),
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
    return agg


def _why_no_posts(path: Path, stats: Counter) -> str:
    reads = "the report reads the JSON Lines output of `rumorclf classify` (rows with pred_labels)"
    if stats["unlabelled"]:
        return (f"{path}: no label fields found ({stats['unlabelled']} JSON rows without pred_labels); "
                f"classify it first (rumorclf classify {path} -o classified.jsonl); {reads}")
    return f"{path}: not JSON Lines ({stats['not_json']} lines are not JSON objects); {reads}"


def _top_entry(score: float, r: Row, lab: str) -> dict:
    spans = r.evidence.get(lab) if isinstance(r.evidence, dict) else None
    return {"line": r.line, "score": score, "text": r.text, "labels": r.labels, "day": r.day,
            "evidence": spans if isinstance(spans, list) else [],
            "targets": target_names(r.targets)}
