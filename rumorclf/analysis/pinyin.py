"""Pinyin-initial spellings of names (鑫达科技 -> xdkj, x达科技, xd科技): evasions a watchlist matches
without listing them. Needs pypinyin (the `train` extra, or `pip install pypinyin`), imported lazily."""

from __future__ import annotations

from functools import lru_cache

from ..normalize import CJK_RE as _CJK_RE

__all__ = ["pinyin_available", "pinyin_variants"]

_MIN_INITIALS = 3       # all-initials variants shorter than this (e.g. "xd") are too ambiguous
_MIN_KEPT_CJK = 2       # partial-initials variants keep at least this many characters (xd科技)


def pinyin_available() -> bool:
    """Whether pypinyin can be imported (without it no variants are generated)."""
    try:
        _pypinyin()
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _pypinyin():
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin, Style.FIRST_LETTER


def _initials(run: str) -> list[str] | None:
    """First pinyin letter of each CJK character of `run` (context-aware readings), or None."""
    lazy_pinyin, first_letter = _pypinyin()
    out = lazy_pinyin(run, style=first_letter, errors=lambda s: [None] * len(s))
    if len(out) != len(run):
        out = [(lazy_pinyin(c, style=first_letter, errors=lambda s: [None])[:1] or [None])[0] for c in run]
    if any(not x or not x.isascii() or not x.isalpha() for x in out):
        return None
    return [x.lower() for x in out]


def pinyin_variants(surface: str) -> set[str]:
    """Pinyin-initial spellings of a (normalised) name: 鑫达科技 -> {xdkj, x达科技, xd科技}."""
    chars = list(surface)
    cjk_pos = [i for i, c in enumerate(chars) if _CJK_RE.match(c)]
    if not cjk_pos:
        return set()
    letters = _initials("".join(chars[i] for i in cjk_pos))
    if letters is None:
        return set()
    ini = dict(zip(cjk_pos, letters))
    out = set()
    full = "".join(ini.get(i, c) for i, c in enumerate(chars)).lower()
    if sum(ch.isalnum() and ch.isascii() for ch in full) >= _MIN_INITIALS and not _CJK_RE.search(full):
        out.add(full)
    # the first k characters (of the leading CJK run) as initials, the rest kept
    lead = 0
    while lead < len(chars) and _CJK_RE.match(chars[lead]):
        lead += 1
    for k in range(1, lead):
        rest = chars[k:]
        if sum(1 for c in rest if _CJK_RE.match(c)) < _MIN_KEPT_CJK:
            break
        out.add(("".join(ini[i] for i in range(k)) + "".join(rest)).lower())
    out.discard(surface.lower())
    return out
