"""Text normaliser: undo the surface noise of scraped and evasive posts before classification.

`normalize(text)` returns a `NormalizedText` with the clean text, the names of the steps that
changed something, and an offset map from every clean character back to the original string,
so that spans found in the clean text (evidence, targets) can be highlighted in the original.

Steps, in order (each named in `changes` when it changed the text):
  control        zero-width, control and variation-selector characters removed; tabs/newlines -> space
  width          full-width ASCII letters, digits and symbols -> half-width (Chinese punctuation kept)
  pinyin_gloss   scraped-page pinyin after characters removed: 網(wǎng) -> 網
  comma_junk     scraped-page comma junk: ",," -> "，"; "," before punctuation dropped; "," between CJK -> "，"
  simplified     traditional -> simplified characters (OpenCC t2s)
  url            URLs -> "[URL]"
  mention        "@ name" -> "@name"
  topic          "# topic #" -> "#topic#"
  spaced_cjk     spaces between CJK characters removed; single characters split by symbols rejoined
                 (鑫/达/科/技 -> 鑫达科技, 宁 德 时 代 -> 宁德时代)
  whitespace     runs of whitespace collapsed, ends stripped
The function is idempotent: normalising its own output changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NORMALIZER_VERSION = "1"

# CJK ideographs (unified, extension A, compatibility) as a regex character-class body: the one
# definition, used by the normaliser and by analysis (targets, pinyin variants)
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK}]")
_CJK, _CJK_RE = CJK, CJK_RE

# Chinese text uses these full-width marks as its ordinary punctuation: keep them.
_KEEP_FULLWIDTH = set("，！？：；（）～")
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH}
_WIDTH_TABLE[0x3000] = 0x20  # ideographic space

_CONTROL_RE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # C0/C1 controls (tab/newline handled below)
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff"
    "\ud800-\udfff]"  # lone surrogates (from JSON escapes): not text, and not encodable
)
_LINEBREAK_RE = re.compile("[\t\n\r\u2028\u2029\u0085]")

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
# A pinyin syllable in parentheses right after a CJK character; a tone mark or tone digit is
# required so that ordinary brackets such as 苹果(apple) are left alone.
_PINYIN_GLOSS_RE = re.compile(
    f"(?<=[{_CJK}])(?:\\((?=[a-z{_TONED}]*[{_TONED}1-5])[a-z{_TONED}]{{1,7}}[1-5]?\\))+"
)
_PUNCT = "，。、；：！？!?;:）)》」』”"
_COMMA_BEFORE_PUNCT_RE = re.compile(f",+(?=[{re.escape(_PUNCT)}])")
_DOUBLE_COMMA_RE = re.compile(",{2,}")
_COMMA_BETWEEN_CJK_RE = re.compile(f"(?<=[{_CJK}\u201d\u300b）)]),(?=[{_CJK}\u201c\u300a])")

_URL_RE = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef" + _CJK + r"]+", re.I)
_URL_TOKEN = "[URL]"
_MENTION_RE = re.compile(r"(?<=@)\s+(?=[^\s@])")
_TOPIC_RE = re.compile(r"#\s*([^#\n]{1,40}?)\s*#")

_MAX_MENTION = 31  # "@" + a name of up to 30 characters
_MENTION_TAIL_RE = re.compile(r"@[^\s@]*$")
_SPACE_BETWEEN_CJK_RE = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_SPLIT_SEPS = r"\s./*\-_|~^+·•=\\"
# Three or more single CJK characters each split by a separator: 鑫/达/科/技, 鑫.达.科.技
_SPLIT_RUN_RE = re.compile(f"[{_CJK}](?:[{_SPLIT_SEPS}]{{1,3}}[{_CJK}]){{2,}}")
_SPLIT_SEP_RE = re.compile(f"[{_SPLIT_SEPS}]")
_WHITESPACE_RE = re.compile(r"\s{2,}")


@dataclass(frozen=True)
class NormalizedText:
    """Clean text, what changed, and where each clean character came from in the original."""

    text: str
    original: str
    changes: tuple[str, ...]
    offsets: tuple[int, ...]  # offsets[i]: index in `original` of clean character i

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the clean text to a [start, end) span of the original."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside clean text of length {len(self.text)}")
        return self.offsets[start], self.offsets[end - 1] + 1


class _Buffer:
    """Text plus per-character origin offsets, edited by regex substitutions."""

    __slots__ = ("text", "offs", "changes")

    def __init__(self, text: str):
        self.text = text
        self.offs = list(range(len(text)))
        self.changes: list[str] = []

    def sub(self, name: str, pattern: re.Pattern, repl) -> None:
        """Replace each match by `repl(match)`: a list whose items are kept positions (int, into
        the current text) or new strings (mapped to the match start)."""
        pieces_text: list[str] = []
        pieces_offs: list[int] = []
        pos = 0
        changed = False
        text, offs = self.text, self.offs
        for m in pattern.finditer(text):
            new = repl(m)
            if new is None:
                continue
            pieces_text.append(text[pos : m.start()])
            pieces_offs.extend(offs[pos : m.start()])
            for item in new:
                if isinstance(item, int):
                    pieces_text.append(text[item])
                    pieces_offs.append(offs[item])
                else:
                    pieces_text.append(item)
                    anchor = offs[m.start()] if m.start() < len(offs) else (offs[-1] + 1 if offs else 0)
                    pieces_offs.extend([anchor] * len(item))
            pos = m.end()
            changed = True
        if changed:
            pieces_text.append(text[pos:])
            pieces_offs.extend(offs[pos:])
            self.text = "".join(pieces_text)
            self.offs = pieces_offs
            self.changes.append(name)

    def map_chars(self, name: str, new_text: str) -> None:
        """Apply a length-preserving character-wise rewrite."""
        if new_text != self.text:
            assert len(new_text) == len(self.text)
            self.text = new_text
            self.changes.append(name)


def _delete(m: re.Match) -> list:
    return []


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified, length-preserving (falls back to per-character conversion)."""
    cc = _t2s()
    out = cc.convert(text)
    if len(out) != len(text):
        out = "".join(c2 if len(c2 := cc.convert(c)) == 1 else c for c in text)
    return out


def _rejoin_split_run(m: re.Match) -> list:
    return [i for i in range(m.start(), m.end()) if not _SPLIT_SEP_RE.match(m.string[i])]


def _join_cjk_space(m: re.Match) -> list | None:
    """Drop a space between CJK characters, unless it ends an @mention (its name would run on)."""
    before = m.string[max(0, m.start() - _MAX_MENTION):m.start()]
    return None if _MENTION_TAIL_RE.search(before) else []


def _normalize_topic(m: re.Match) -> list | None:
    inner = m.group(1)
    if m.group(0) == f"#{inner}#":
        return None
    return [m.start(), *range(m.start(1), m.end(1)), m.end() - 1]


_MAX_PASSES = 4


def normalize(text: str) -> NormalizedText:
    """Normalise one post. Raises TypeError for non-string input.

    One step can expose work for an earlier one (a topic whose spaces were just removed), so the
    passes repeat until nothing changes (clean text: one pass), composing the offset maps.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    clean, changes, offsets = _one_pass(text)
    for _ in range(_MAX_PASSES - 1):
        if not changes or not clean:
            break
        again, more, offs2 = _one_pass(clean)
        if not more:
            break
        offsets = [offsets[i] for i in offs2]
        clean = again
        changes = changes + [c for c in more if c not in changes]
    return NormalizedText(clean, text, tuple(changes), tuple(offsets))


def _one_pass(text: str) -> tuple[str, list[str], list[int]]:
    buf = _Buffer(text)
    buf.sub("control", _CONTROL_RE, _delete)
    buf.sub("control", _LINEBREAK_RE, lambda m: [" "])
    buf.map_chars("width", buf.text.translate(_WIDTH_TABLE))
    buf.sub("pinyin_gloss", _PINYIN_GLOSS_RE, _delete)
    buf.sub("comma_junk", _DOUBLE_COMMA_RE, lambda m: ["，"])
    buf.sub("comma_junk", _COMMA_BEFORE_PUNCT_RE, _delete)
    buf.sub("comma_junk", _COMMA_BETWEEN_CJK_RE, lambda m: ["，"])
    buf.map_chars("simplified", to_simplified(buf.text))
    buf.sub("url", _URL_RE, lambda m: None if m.group(0) == _URL_TOKEN else [_URL_TOKEN])
    buf.sub("mention", _MENTION_RE, _delete)
    buf.sub("topic", _TOPIC_RE, _normalize_topic)
    buf.sub("spaced_cjk", _SPACE_BETWEEN_CJK_RE, _join_cjk_space)
    buf.sub("spaced_cjk", _SPLIT_RUN_RE, _rejoin_split_run)
    buf.sub("whitespace", _WHITESPACE_RE, lambda m: [m.start()])
    stripped = buf.text.strip()
    if stripped != buf.text:
        lead = len(buf.text) - len(buf.text.lstrip())
        buf.offs = buf.offs[lead : lead + len(stripped)]
        buf.text = stripped
        buf.changes.append("whitespace")
    return buf.text, list(dict.fromkeys(buf.changes)), buf.offs


def normalize_text(text: str) -> str:
    """Just the clean text."""
    return normalize(text).text


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None
