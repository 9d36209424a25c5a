"""The report's numbers as a long-format CSV: `dimension,key,posts,share`."""

from __future__ import annotations

import csv
import io

from ...taxonomy import Taxonomy


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
    for dim, key, inner, sub in (("target", "by_target", "labels", "label"),
                                 ("day", "by_day", "families", "family")):
        groups = agg.get(key)
        if groups is None:
            continue
        for k, v in groups.items():
            rows.append((dim, k, v["posts"], share(v["posts"])))
        for k, v in groups.items():
            rows.append((f"{dim}_flagged", k, v["flagged"], share(v["flagged"])))
        for k, v in groups.items():
            for x, n in v[inner].items():
                rows.append((f"{dim}_{sub}", f"{k}|{x}", n, share(n)))
    return rows


def csv_text(agg: dict, tax: Taxonomy | None = None) -> str:
    """The CSV file's content."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["dimension", "key", "posts", "share"])
    for dim, key, n, s in csv_rows(agg, tax):
        w.writerow([dim, _csv_safe(key), n, f"{s:.6f}".rstrip("0").rstrip(".") if s else "0"])
    return buf.getvalue()


def _csv_safe(s: str) -> str:
    """Neutralise spreadsheet formula injection in free-text keys (target names)."""
    return "'" + s if s[:1] in ("=", "+", "-", "@") else s
