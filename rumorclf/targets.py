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

auto       Heuristic candidates, used when there is no watchlist, or when a watchlist matched nothing
           and `auto=True`:
           - company-name patterns: 2-6 name characters + enterprise suffixes (公司, 集团, 科技, 乳业,
             银行, 控股股份有限公司 ...); the name part is cut at jieba word boundaries and stops at
             function words and verbs, so 听说鑫达科技 gives 鑫达科技 (type "company");
           - jieba.posseg `nt` (organisation) words that are not public institutions (局, 院, 大学 ...);
           - `nr` person names next to a title (董事长王某明, 王某明董事长, CEO某某) (type "person");
           - `nz` proper nouns followed by a brand cue (品牌, 官网, 旗舰店, 客服 ...) (type "brand"); bare nz
             words are not returned: jieba's nz list is mostly technical terms and idioms;
           - anonymous references with a descriptor, 某新能源车企 / 某知名乳企 (type "anonymous").
           Generic words (这家公司, 某公司, 该公司, 上市公司, 民营企业, 科技公司 ...) are filtered out.
           Auto candidates are a heuristic fallback; a watchlist is the reliable way to track targets.

Results (`find`) are dicts, one per canonical name, in order of first mention:

    {"name": canonical name, "matched": surface text in the ORIGINAL post, "start": int, "end": int,
     "source": "watchlist" | "auto", "type": "company" | "brand" | "person" | "anonymous",
     "count": number of mentions of this name in the post}

`start`/`end` are offsets into the ORIGINAL text of the FIRST mention (original[start:end] ==
matched); later mentions only add to `count`. For auto candidates the canonical name is the
normalised span text (鑫 达 科 技 -> name 鑫达科技, matched "鑫 达 科 技").

Watchlist file formats (`from_file`, detected from the content, not the file extension):

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
import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .normalize import NormalizedText, normalize, normalize_text

__all__ = ["TARGET_TYPES", "TargetFinder", "WatchlistError", "parse_watchlist", "pinyin_variants"]

TARGET_TYPES = ("company", "brand", "person")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_NAME_CHAR_RE = re.compile(f"[{_CJK}A-Za-z0-9&]")
_LATIN = "A-Za-z0-9"
# A Latin/digit edge of a match must not continue a Latin word or number of the text: at each
# end of a match, the characters on both sides of the edge may not both be Latin letters/digits.
_EDGE_GUARD = f"(?:(?<![{_LATIN}])|(?![{_LATIN}]))"

_MIN_INITIALS = 3       # all-initials variants shorter than this (e.g. "xd") are too ambiguous
_MIN_KEPT_CJK = 2       # partial-initials variants keep at least this many characters (xd科技)


class WatchlistError(ValueError):
    """A watchlist file or entry is malformed."""


# ---------------------------------------------------------------------------------------- watchlist
def _check_entry(raw, where: str) -> dict:
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
            entries.append(_check_entry(obj, f"{src}: line {_line_of(text, i)}"))
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
        entries.append(_check_entry(obj, f"{src}: line {n}"))
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
        entries.append(_check_entry(entry, where))
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


# ---------------------------------------------------------------------------------------- pinyin
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


# ---------------------------------------------------------------------------------------- trie regex
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


# ---------------------------------------------------------------------------------------- auto
_SUFFIXES = sorted({
    "股份有限公司", "有限责任公司", "有限公司", "总公司", "公司", "集团", "科技", "乳业", "银行", "汽车", "地产",
    "房地产", "置业", "医药", "药业", "制药", "食品", "电子", "电器", "股份", "控股", "保险", "证券", "基金", "信托",
    "物业", "教育", "传媒", "实业", "能源", "新能源", "航空", "物流", "快递", "酒业", "服饰", "重工", "半导体",
    "化工", "钢铁", "建工", "影业", "电商", "超市", "百货", "酒店", "餐饮", "车企", "乳企", "药企", "房企",
}, key=len, reverse=True)
_SUFFIX_TUPLE = tuple(_SUFFIXES)
_SUFFIX_CHAIN_RE = re.compile("(?:" + "|".join(_SUFFIXES) + ")+")

_TITLES = sorted({
    "董事长", "副董事长", "总裁", "副总裁", "总经理", "副总经理", "创始人", "联合创始人", "创办人", "老板", "老总",
    "ceo", "cfo", "coo", "cto", "董事", "行长", "掌门人", "实控人", "实际控制人", "法人", "法定代表人", "首席执行官",
    "负责人", "董秘", "合伙人", "总监", "大股东", "股东",
}, key=len, reverse=True)

_STOP_WORDS = frozenset(
    "听说 据说 网传 爆料 曝光 据悉 传闻 消息 知道 觉得 认为 表示 宣布 大家 我们 你们 他们 她们 它们 自己 这个 那个 "
    "这家 那家 一家 该 某 本 贵 有人 网友 记者 今天 昨天 明天 最近 目前 现在 已经 真的 还是 就是 不是 没有 关于 对于 "
    "包括 比如 例如 以及 还有 其实 原来 竟然 居然 果然 听 看 说 称 曝 传 的 了 是 在 和 与 跟 及 把 被 对 给 向 从 到 "
    "让 去 买 卖 用 连 像 比 家 个 只 请 有 为 于 将 由 等 或 而 但 又 很 最 更 太 真 好 啊 吧 呢 吗 哦 嘛 这 那 我 你 他 "
    "她 它 都 也 就 还 再 才 呀 哈".split())
_STOP_CHARS = frozenset(w for w in _STOP_WORDS if len(w) == 1)
_DEICTIC_CHARS = frozenset("贵本该我你他她此这那某")  # right before a suffix: 贵公司 is not a name
# jieba flags of words that cannot be part of a name (particles, prepositions, pronouns, adverbs ...)
_FUNCTION_FLAG_PREFIXES = ("u", "p", "c", "r", "d", "y", "m", "q", "f", "t", "w", "v")
_FUNCTION_FLAGS = frozenset({"e", "o", "x", "ad"})

_GENERIC_PREFIXES = frozenset(
    "上市 民营 国有 国营 私营 外资 合资 央企 国企 大型 中型 小型 知名 头部 龙头 一些 很多 许多 所有 其他 其它 这些 那些 "
    "同行 别的 这种 那种 某些 任何 各家 各大 几家 全部 所谓 中国 全国 国内 国外 海外 全球 世界 本地 当地 外地 国产 进口 "
    "二手 电动 家用 新型 传统 互联网 科技 网络 高新 高新技术 新能源 空壳 皮包 跨国 上游 下游 母 子 分 黑 高 "
    "孩子 儿童 家庭 学前 职业 高等 义务 在线 线上 线下 垃圾 保健 有机 休闲 网红 健康 安全 问题 不良 无良 黑心 "
    "无良黑心 那个 这个 我们 你们 他们 这家 那家 该 本 贵".split())
_GENERIC_NAMES = frozenset(
    "这家公司 那家公司 某公司 该公司 本公司 贵公司 我公司 上市公司 民营企业 国有企业 科技公司 互联网公司 保险公司 "
    "汽车公司 物业公司 地产公司 房地产公司 传媒公司 证券公司 基金公司 信托公司 投资公司 子公司 母公司 分公司 总公司 "
    "高科技 黑科技 新能源汽车 电动汽车 新能源车企 乳企 车企 药企 房企 商业银行 民营银行 银行 集团公司".split())
_INSTITUTION_ENDINGS = tuple(
    "学 会 院 局 队 部 府 社 委 军 党 所 馆 区 中心 组织 系 台 校 厅 联 报 协 站 专 办 盟 处 室 庭 署 省 市 县 村 组 乐团 "
    "军团 剧团 团委 青团 政府 法院 大学 医院".split())
_BRAND_CUES = ("品牌", "旗下", "官方", "官网", "旗舰店", "客服", "产品", "门店", "专卖店", "app", "APP", "App")
_PERSON_FLAGS = ("nr", "nrfg")

_ANON_HEADS = ("企业家", "公司", "集团", "企业", "车企", "乳企", "药企", "房企", "险企", "银行", "品牌", "大厂",
               "厂商", "厂家", "平台", "商家", "老板", "董事长", "总裁", "创始人", "富豪", "首富")
_ANON_RE = re.compile(f"某(?![某些种])([{_CJK}]{{0,6}}?)(" + "|".join(sorted(_ANON_HEADS, key=len, reverse=True)) + ")")
_ANON_SPECIFIC_HEADS = frozenset({"车企", "乳企", "药企", "房企", "险企", "企业家", "大厂", "富豪", "首富"})


@lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    return pseg


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """jieba.posseg words of `text` as (word, flag, start, end)."""
    out, pos = [], 0
    for w in _posseg().cut(text):
        out.append((w.word, w.flag, pos, pos + len(w.word)))
        pos += len(w.word)
    return out


def _is_name_piece(word: str) -> bool:
    return all(_NAME_CHAR_RE.match(c) for c in word)


def _company_prefix(tokens, tok_at, start: int) -> int | None:
    """Start of the name before an enterprise suffix that begins at `start` (None: no name).

    Walks back over jieba words from the suffix, at most 6 characters, stopping at stop words,
    punctuation, multi-character verbs and function words. Single-character words of any flag are
    kept while every word taken so far is single (jieba splits unknown names: 鑫|达|科技)."""
    pieces: list[str] = []  # nearest first
    k = tok_at[start]
    w, _, ws, _ = tokens[k]
    if ws < start:  # the suffix begins inside a word (上市公司): the word's head is part of the name
        pieces.append(w[: start - ws])
    k -= 1
    length = sum(map(len, pieces))
    only_single = all(len(p) == 1 for p in pieces)
    while k >= 0:
        w, f, _, _ = tokens[k]
        if w in _STOP_WORDS or not _is_name_piece(w) or length + len(w) > 6 or w.endswith(_SUFFIX_TUPLE):
            break
        function = f in _FUNCTION_FLAGS or f.startswith(_FUNCTION_FLAG_PREFIXES)
        if function and (len(w) > 1 or not only_single):
            break
        pieces.append(w)
        length += len(w)
        only_single = only_single and len(w) == 1
        k -= 1
    if pieces and pieces[0][-1] in _DEICTIC_CHARS:  # 有贵|公司, 向本|公司: "your/this company", no name
        return None
    while pieces and pieces[-1] in _STOP_CHARS:  # leading 买/去/说 ... are not part of the name
        length -= len(pieces.pop())
    if length < 2:
        return None
    return start - length


def _auto_candidates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, type) spans of the clean text that look like enterprises/brands/people."""
    if not text:
        return []
    tokens = _tokens(text)
    tok_at = [0] * (len(text) + 1)
    for i, (_, _, s, e) in enumerate(tokens):
        for p in range(s, e):
            tok_at[p] = i
    tok_at[len(text)] = len(tokens)
    cands: list[tuple[int, int, str]] = []

    # anonymous references with a descriptor: 某新能源车企
    for m in _ANON_RE.finditer(text):
        if m.group(1) or m.group(2) in _ANON_SPECIFIC_HEADS:
            cands.append((m.start(), m.end(), "anonymous"))

    # name + enterprise suffix chain: 远川乳业集团, 蓝海控股股份有限公司
    for m in _SUFFIX_CHAIN_RE.finditer(text):
        s = _company_prefix(tokens, tok_at, m.start())
        if s is None:
            continue
        prefix = text[s:m.start()]
        if prefix in _GENERIC_PREFIXES or text[s:m.end()] in _GENERIC_NAMES:
            continue
        cands.append((s, m.end(), "company"))

    for i, (w, f, s, e) in enumerate(tokens):
        if f == "nt" and len(w) >= 3 and w not in _GENERIC_NAMES:
            if w.endswith(_SUFFIX_TUPLE) or not w.endswith(_INSTITUTION_ENDINGS):
                cands.append((s, e, "company"))
        elif (f == "nz" and len(w) >= 2 and _is_name_piece(w) and w not in _GENERIC_NAMES
              and (text.startswith(_BRAND_CUES, e) or (text.startswith("的", e)
                                                       and text.startswith(_BRAND_CUES, e + 1)))):
            cands.append((s, e, "brand"))

    # person names next to a title: 董事长王某明 / 王某明董事长 / CEO王某明
    i = 0
    while i < len(tokens):
        w, f, s, e = tokens[i]
        if not f.startswith(_PERSON_FLAGS) or f == "nrt":
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and tokens[j + 1][1] in _PERSON_FLAGS and tokens[j + 1][3] - s <= 4:
            j += 1
        ns, ne = s, tokens[j][3]
        name = text[ns:ne]
        if 2 <= len(name) <= 4 and all(_CJK_RE.match(c) for c in name):
            before = tokens[i - 1][0].lower() if i > 0 else ""
            after = tokens[j + 1][0].lower() if j + 1 < len(tokens) else ""
            if before.endswith(tuple(_TITLES)) or after.startswith(tuple(_TITLES)):
                cands.append((ns, ne, "person"))
        i = j + 1

    # longest first, no overlaps, then in text order
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken: list[tuple[int, int, str]] = []
    for c in cands:
        if all(c[1] <= t[0] or c[0] >= t[1] for t in taken):
            taken.append(c)
    return sorted(taken)


# ---------------------------------------------------------------------------------------- finder
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
        self.entries = [_check_entry(e, f"entry {i}") for i, e in enumerate(entries or [])]
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
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise WatchlistError(f"{path}: not UTF-8 text ({e})") from None
        return cls(parse_watchlist(text, str(path)), auto=auto, pinyin=pinyin)

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
            for s, e, typ in _auto_candidates(text):
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
