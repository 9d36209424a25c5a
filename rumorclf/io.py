"""The one JSON Lines reader of the package (and of `training/`): lines, decoded, BOM stripped once.

    from rumorclf.io import read_jsonl, load_jsonl
    for rec in read_jsonl("posts.jsonl"):       # JsonLine(line, value, error, text), one per line
        ...
    rows = load_jsonl("data/dev.jsonl")         # strict: a list of the parsed values

A line that is blank, not UTF-8 or not JSON is reported on its `JsonLine` (`error`), never
raised, so callers decide: the batch engine sends it to the errors file, the report counts it,
`load_jsonl` raises `ValueError` naming the file and line. Sources are paths or open binary
streams (stdin); a stream is borrowed, not closed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["JsonLine", "iter_lines", "load_jsonl", "open_binary", "read_jsonl"]

_BOM = b"\xef\xbb\xbf"


@contextlib.contextmanager
def open_binary(source):
    """A binary file object for a path (opened and closed here) or an open stream (borrowed)."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            yield f
    else:
        yield source


def iter_lines(source) -> Iterator[tuple[int, bytes, str | None, str | None]]:
    """(1-based line number, raw bytes, decoded line or None, decoding error or None) per line,
    without the line ending; a UTF-8 byte-order mark at the start of the file is not content."""
    with open_binary(source) as f:
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip(b"\r\n")
            if n == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            try:
                yield n, raw, raw.decode("utf-8"), None
            except UnicodeDecodeError as e:
                yield n, raw, None, f"invalid UTF-8 at byte {e.start}"


class JsonLine(NamedTuple):
    line: int            # 1-based line number
    value: Any           # the parsed JSON value; None when `error` is set
    error: str | None    # "blank line", "invalid UTF-8 at byte N", "bad JSON: MSG at column C"
    text: str            # the line as text (undecodable bytes replaced), for error reports


def read_jsonl(source, *, skip_blank: bool = False) -> Iterator[JsonLine]:
    """One `JsonLine` per line of `source` (blank lines skipped when `skip_blank`)."""
    for n, raw, line, err in iter_lines(source):
        if err:
            yield JsonLine(n, None, err, raw.decode("utf-8", errors="replace"))
        elif not line.strip():
            if not skip_blank:
                yield JsonLine(n, None, "blank line", "")
        else:
            try:
                yield JsonLine(n, json.loads(line), None, line)
            except json.JSONDecodeError as e:
                yield JsonLine(n, None, f"bad JSON: {e.msg} at column {e.colno}", line)


def load_jsonl(path: str | Path) -> list:
    """Every value of a JSON Lines file (blank lines skipped); ValueError names the first bad line."""
    out = []
    for rec in read_jsonl(path, skip_blank=True):
        if rec.error:
            raise ValueError(f"{path}: line {rec.line}: {rec.error}")
        out.append(rec.value)
    return out
