"""Watchlist files and entries: the known enterprises, brands and people a `TargetFinder` matches.

File formats (`parse_watchlist`, detected from the content, not the file extension):

    JSON        a list of entries:  [{"name": "鑫达科技", "aliases": ["鑫达", "XD科技"], "type": "company"}, ...]
    JSON Lines  one entry object per line (blank lines skipped)
    text        one entry per line: canonical<TAB>alias1|alias2[<TAB>type]; the alias and type columns
                are optional; blank lines and lines starting with # are skipped

An entry needs a non-empty string "name"; "aliases" (list of strings, default []) and "type"
(company | brand | person, default company) are optional. In Python, an entry may also be a plain
name string. Malformed input raises `WatchlistError` (a ValueError) naming the file and line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..normalize import normalize_text

__all__ = ["TARGET_TYPES", "WatchlistError", "check_entry", "parse_watchlist", "read_watchlist"]

TARGET_TYPES = ("company", "brand", "person")


class WatchlistError(ValueError):
    """A watchlist file or entry is malformed."""


def check_entry(raw, where: str) -> dict:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict):
        raise WatchlistError(f"{where}: an entry must be an object with a \"name\" (or a name string), "
                             f"got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not normalize_text(name):
        raise WatchlistError(f"{where}: entry needs a non-empty string \"name\", got {name!r}")
    aliases = raw.get("aliases", [])
    if aliases is None:
        aliases = []
    if isinstance(aliases, str) or not isinstance(aliases, (list, tuple)):
        raise WatchlistError(f"{where}: \"aliases\" of {name!r} must be a list of strings, got {aliases!r}")
    for a in aliases:
        if not isinstance(a, str) or not normalize_text(a):
            raise WatchlistError(f"{where}: alias {a!r} of {name!r} is not a non-empty string")
    typ = raw.get("type", "company")
    if typ is None:
        typ = "company"
    if typ not in TARGET_TYPES:
        raise WatchlistError(f"{where}: type of {name!r} must be one of {', '.join(TARGET_TYPES)}, got {typ!r}")
    return {"name": name.strip(), "aliases": [a.strip() for a in aliases], "type": typ}


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _parse_json_list(text: str, src: str) -> list[dict]:
    """A JSON array of entries, each entry's error naming the line it starts on."""
    dec = json.JSONDecoder()
    ws = re.compile(r"\s*")
    i = ws.match(text, 0).end()
    if text[i:i + 1] != "[":
        raise WatchlistError(f"{src}: line {_line_of(text, i)}: expected a JSON list of entries")
    i = ws.match(text, i + 1).end()
    entries = []
    if text[i:i + 1] == "]":
        i += 1
    else:
        while True:
            try:
                obj, j = dec.raw_decode(text, i)
            except json.JSONDecodeError as e:
                raise WatchlistError(f"{src}: line {e.lineno}: invalid JSON ({e.msg})") from None
            entries.append(check_entry(obj, f"{src}: line {_line_of(text, i)}"))
            i = ws.match(text, j).end()
            ch = text[i:i + 1]
            if ch == ",":
                i = ws.match(text, i + 1).end()
            elif ch == "]":
                i += 1
                break
            else:
                raise WatchlistError(f"{src}: line {_line_of(text, i)}: invalid JSON (expected ',' or ']')")
    if text[i:].strip():
        raise WatchlistError(f"{src}: line {_line_of(text, ws.match(text, i).end())}: "
                             "unexpected content after the JSON list")
    return entries


def _parse_jsonl(text: str, src: str) -> list[dict]:
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            if not entries:
                try:
                    whole = json.loads(text)
                except json.JSONDecodeError:
                    whole = None
                if isinstance(whole, dict):
                    raise WatchlistError(f"{src}: line 1: a single JSON object; expected a JSON list of "
                                         "entries or JSON Lines (one entry object per line)") from None
            raise WatchlistError(f"{src}: line {n}: invalid JSON Lines record ({e.msg})") from None
        entries.append(check_entry(obj, f"{src}: line {n}"))
    return entries


def _parse_text(text: str, src: str) -> list[dict]:
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.rstrip("\r\n").split("\t")
        where = f"{src}: line {n}"
        if len(cols) > 3:
            raise WatchlistError(f"{where}: expected canonical<TAB>alias1|alias2[<TAB>type], "
                                 f"got {len(cols)} tab-separated columns")
        name = cols[0].strip()
        if not name:
            raise WatchlistError(f"{where}: the canonical name (first column) is empty")
        aliases = [a.strip() for a in cols[1].split("|")] if len(cols) > 1 and cols[1].strip() else []
        if any(not a for a in aliases):
            raise WatchlistError(f"{where}: empty alias in {cols[1]!r} (aliases are separated by '|')")
        entry = {"name": name, "aliases": aliases}
        if len(cols) == 3 and cols[2].strip():
            entry["type"] = cols[2].strip()
        entries.append(check_entry(entry, where))
    return entries


def parse_watchlist(text: str, source: str = "<watchlist>") -> list[dict]:
    """Entries of a watchlist file's text (JSON list, JSON Lines, or tab-separated text)."""
    text = text.lstrip("\ufeff")
    head = text.lstrip()[:1]
    if head == "[":
        return _parse_json_list(text, source)
    if head == "{":
        return _parse_jsonl(text, source)
    return _parse_text(text, source)



def read_watchlist(path: str | Path) -> list[dict]:
    """The entries of a watchlist file (UTF-8; a BOM is ignored)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise WatchlistError(f"{path}: not UTF-8 text ({e})") from None
    return parse_watchlist(text, str(path))
