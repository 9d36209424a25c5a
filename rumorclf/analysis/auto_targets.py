"""Heuristic target candidates, for posts no watchlist entry matched (see `TargetFinder`, auto=True).

- company-name patterns: 2-6 name characters + enterprise suffixes (公司, 集团, 科技, 乳业, 银行,
  控股股份有限公司 ...); the name part is cut at jieba word boundaries and stops at function words
  and verbs, so 听说鑫达科技 gives 鑫达科技 (type "company");
- jieba.posseg `nt` (organisation) words that are not public institutions (局, 院, 大学 ...);
- `nr` person names next to a title (董事长王某明, 王某明董事长, CEO某某) (type "person");
- `nz` proper nouns followed by a brand cue (品牌, 官网, 旗舰店, 客服 ...) (type "brand");
- anonymous references with a descriptor, 某新能源车企 / 某知名乳企 (type "anonymous").
Generic words (这家公司, 某公司, 上市公司, 科技公司 ...) are filtered out.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from ..normalize import CJK as _CJK
from ..normalize import CJK_RE as _CJK_RE

__all__ = ["auto_candidates"]

_NAME_CHAR_RE = re.compile(f"[{_CJK}A-Za-z0-9&]")

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


def auto_candidates(text: str) -> list[tuple[int, int, str]]:
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
