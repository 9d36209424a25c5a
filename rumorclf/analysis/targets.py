"""Which enterprises, brands or entrepreneurs a post is about.

`TargetFinder` finds them in two ways:

watchlist  Known names with their aliases (`TargetFinder.from_file(path)` or `TargetFinder(entries)`).
           Matching runs on the NORMALISED text, so traditional characters, full-width letters and
           names split by spaces or symbols (鑫 达 科 技, 鑫/达/科/技, 鑫達科技) all match 鑫达科技.
           Aliases are normalised the same way; Latin letters match case-insensitively, and a Latin
           alias never matches inside a longer Latin word/number (xd科技 does not match in "abxd科技").
           Pinyin-initial variants are generated for every name and alias (pypinyin, imported lazily):
           the all-initials form (鑫达科技 -> xdkj, only when it has >= 3 letters) and the forms with the
           first k characters as initials while >= 2 characters stay (x达科技, xd科技), so evasions such
           as "XD科技" match without being listed. A generated variant shared by two entries is
           ambiguous and dropped; listed names/aliases always win over generated variants, and when two
           entries list the same alias the first entry wins.
           All surfaces are compiled into ONE regular expression built as a character trie (common
           prefixes shared, longest alternative first), so a watchlist of thousands of entries costs
           one regex scan per post; matches are leftmost-longest and non-overlapping.

auto       Heuristic candidates (`analysis.auto_targets`), used when there is no watchlist, or
           when a watchlist matched nothing and `auto=True`: company-name patterns, jieba's
           organisation, person-with-title and brand-cue words, anonymous references (某新能源车企).
           A heuristic fallback; a watchlist is the reliable way to track targets.

Results (`find`) are dicts, one per canonical name, in order of first mention:

    {"name": canonical name, "matched": surface text in the ORIGINAL post, "start": int, "end": int,
     "source": "watchlist" | "auto", "type": "company" | "brand" | "person" | "anonymous",
     "count": number of mentions of this name in the post}

`start`/`end` are offsets into the ORIGINAL text of the FIRST mention (original[start:end] ==
matched); later mentions only add to `count`. For auto candidates the canonical name is the
normalised span text (鑫 达 科 技 -> name 鑫达科技, matched "鑫 达 科 技").

Watchlist files and entries: `analysis.watchlist`; pinyin variants: `analysis.pinyin`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from ..normalize import NormalizedText, normalize, normalize_text
from .auto_targets import auto_candidates
from .pinyin import pinyin_available, pinyin_variants
from .watchlist import TARGET_TYPES, WatchlistError, check_entry, parse_watchlist, read_watchlist

__all__ = ["TARGET_TYPES", "TargetFinder", "WatchlistError", "load_watchlist", "parse_watchlist", "pinyin_variants"]

_LATIN = "A-Za-z0-9"
# A Latin/digit edge of a match must not continue a Latin word or number of the text: at each
# end of a match, the characters on both sides of the edge may not both be Latin letters/digits.
_EDGE_GUARD = f"(?:(?<![{_LATIN}])|(?![{_LATIN}]))"


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternation of `words`, built as a trie: shared prefixes, longest match first."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:  # a word ends here: the longer continuations are tried first (greedy ?)
            return ("(?:" + body + ")?") if len(alts) == 1 and len(body) > 1 else body + "?"
        return body

    return build(root)  # recursion depth = the longest surface: fine for names


class TargetFinder:
    """Find the enterprises, brands and entrepreneurs a post is about (see the module docstring).

    >>> finder = TargetFinder([{"name": "鑫达科技", "aliases": ["鑫达"]}])
    >>> [t["name"] for t in finder.find(normalize("鑫 達 科 技老板跑路了"))]
    ['鑫达科技']
    """

    def __init__(self, entries: Iterable | None = None, auto: bool = True, pinyin: bool = True):
        if isinstance(entries, (str, bytes, dict)):
            raise TypeError("entries must be a list of entries (dicts or name strings); "
                            "use TargetFinder.from_file(path) for a file")
        self.entries = [check_entry(e, f"entry {i}") for i, e in enumerate(entries or [])]
        self.auto = bool(auto)
        self.pinyin = bool(pinyin)
        self._surface: dict[str, int] = {}  # lower-cased normalised surface -> entry index
        listed: dict[str, int] = {}
        generated: dict[str, int | None] = {}
        for idx, e in enumerate(self.entries):
            forms = []
            for s in [e["name"], *e["aliases"]]:
                form = normalize_text(s).lower()
                if form:
                    forms.append(form)
                    listed.setdefault(form, idx)  # first entry listing a surface wins
            if self.pinyin:
                for form in forms:
                    for v in pinyin_variants(form):
                        if v in generated and generated[v] != idx:
                            generated[v] = None  # the same initials for two entries: ambiguous
                        else:
                            generated.setdefault(v, idx)
        self._surface = {v: i for v, i in generated.items() if i is not None}
        self._surface.update(listed)
        self._regex = None
        if self._surface:
            body = _trie_pattern(self._surface)
            self._regex = re.compile(f"{_EDGE_GUARD}(?:{body}){_EDGE_GUARD}", re.IGNORECASE)

    @classmethod
    def from_file(cls, path: str | Path, auto: bool = True, pinyin: bool = True) -> TargetFinder:
        """Load a watchlist file: JSON list, JSON Lines, or canonical<TAB>alias1|alias2[<TAB>type]."""
        return cls(read_watchlist(path), auto=auto, pinyin=pinyin)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def names(self) -> list[str]:
        return [e["name"] for e in self.entries]

    def surfaces(self, name: str) -> list[str]:
        """All normalised surfaces (names, aliases, generated pinyin variants) that find `name`."""
        return sorted(s for s, i in self._surface.items() if self.entries[i]["name"] == name)

    def find(self, nt: NormalizedText | str) -> list[dict]:
        """Targets of one post (a NormalizedText, or a raw str which is normalised first)."""
        if isinstance(nt, str):
            nt = normalize(nt)
        text = nt.text
        found: dict[str, dict] = {}
        if self._regex is not None:
            for m in self._regex.finditer(text):
                if m.end() <= m.start():
                    continue
                idx = self._surface.get(m.group(0).lower())
                if idx is None:  # exotic case folding (e.g. the Kelvin sign): not one of ours
                    continue
                e = self.entries[idx]
                self._add(found, nt, e["name"], m.start(), m.end(), "watchlist", e["type"])
        if self.auto and not found:
            for s, e, typ in auto_candidates(text):
                self._add(found, nt, text[s:e], s, e, "auto", typ)
        return list(found.values())

    @staticmethod
    def _add(found: dict, nt: NormalizedText, name: str, s: int, e: int, source: str, typ: str) -> None:
        if name in found:
            found[name]["count"] += 1
            return
        os_, oe = nt.original_span(s, e)
        found[name] = {"name": name, "matched": nt.original[os_:oe], "start": os_, "end": oe,
                       "source": source, "type": typ, "count": 1}

    def __repr__(self) -> str:
        return f"TargetFinder({len(self.entries)} entries, {len(self._surface)} surfaces, auto={self.auto})"


PINYIN_MISSING = ("warning: pypinyin is not installed, so pinyin-initial spellings (XD科技 for 鑫达科技) are not "
                  "matched; pip install pypinyin")


def load_watchlist(path: str | Path | None, warn: Callable[[str], None] | None = None) -> TargetFinder | None:
    """The TargetFinder of a watchlist file for a batch run (None for no file). Without pypinyin
    it matches the listed names and aliases only, and says so through `warn` (default:
    `warnings.warn`)."""
    if path is None:
        return None
    if not pinyin_available():
        (warn or warnings.warn)(PINYIN_MISSING)
        return TargetFinder.from_file(path, pinyin=False)
    return TargetFinder.from_file(path)
