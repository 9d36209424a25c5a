"""Train-time augmentation, deterministic given a seed. Never applied to dev or test.

Two kinds of transform:
- entity swap: company-like names (a 2-4 character stem before an industry suffix such as 科技,
  乳业, 汽车, 银行) get a new fictional stem from a per-industry pool, so the model learns the
  behaviour, not the names;
- evasion: the spellings people use to dodge filters. Some the normaliser undoes (traditional
  characters, spaced or symbol-split names, scraped-page pinyin and comma junk): they teach
  nothing new to the model but keep the normaliser honest in training. The others survive
  normalisation and are what the model must learn to read: pinyin initials for a name,
  homophones (删帖 -> 山贴) and emoji for words.

    from training.augment import Augmenter
    aug = Augmenter(seed=13)
    aug("鑫达科技老板跑路了", key="trA-0001")   # same input, key and seed -> same output
"""

from __future__ import annotations

import random
import re
import zlib
from functools import lru_cache

# Fictional stems, never real companies. Suffix decides the pool; stems are shared across pools.
STEMS = ("鑫达 宏泰 远川 禾木 蓝鲸 澄江 栖梧 昊拓 云岫 北坡 镜湖 青岑 星澜 瑞丰 启明 恒川 铭越 拓海 嘉禾 "
         "华屹 安澜 晟远 泓景 朗途 沐川 峰驰 锦程 凯骏 涵宇 悦禾 知远 曜石 麦垣 东篱 南樾 西岭 易达 "
         "九衡 万澈 千岱 百川汇 德润 君和 盈科 丰沃 合纵 博衍 慧通 元启 昱辰").split()
INDUSTRY_SUFFIXES = {
    "tech": ["科技", "智能", "软件", "网络", "电子", "半导体", "信息"],
    "auto": ["汽车", "新能源", "motors", "出行"],
    "food": ["乳业", "食品", "奶粉", "饮品", "茶饮", "酒业", "餐饮"],
    "finance": ["银行", "支付", "金融", "保险", "证券", "基金", "小贷"],
    "property": ["地产", "置业", "物业", "建设"],
    "health": ["医药", "制药", "生物", "医疗", "健康"],
    "consumer": ["美妆", "服饰", "家居", "电器", "百货", "商城", "教育", "物流", "文旅", "传媒"],
    "group": ["集团", "股份", "公司", "控股", "实业"],
}
_SUFFIX_RE = "|".join(sorted({s for v in INDUSTRY_SUFFIXES.values() for s in v}, key=len, reverse=True))
# stem = 2-3 CJK chars right before a suffix; lookbehind keeps it from eating a preceding verb
_ENTITY_RE = re.compile(f"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{{2,3}})({_SUFFIX_RE})|"
                        f"([\u4e00-\u9fff]{{2}})({_SUFFIX_RE})")
_GENERIC_STEMS = {"这家", "那家", "某某", "一家", "他们", "我们", "你们", "这个", "那个", "所有", "某家", "头部",
                  "本地", "国内", "国外", "大型", "新能源", "互联网", "上市", "民营", "知名", "该"}

HOMOPHONES = {
    "删帖": ["山贴", "删tie", "珊帖", "shan帖"], "倒闭": ["倒B", "倒必", "dao闭"], "水军": ["水君", "氵军", "shui军"],
    "敲诈": ["敲炸", "qiao诈"], "跑路": ["跑lu", "泡路"], "老板": ["老版", "lao板"], "维权": ["维quan", "唯权"],
    "举报": ["举bao", "锯报"], "投诉": ["头诉", "tou诉"], "曝光": ["bao光", "爆光"], "骗子": ["piàn子", "骗纸"],
    "垃圾": ["辣鸡", "lj"], "赔钱": ["péi钱", "赔💰"], "钱": ["💰", "qian"], "有": ["🈶"], "没有": ["🈚"],
    "狗": ["🐶"], "火": ["🔥"], "公关": ["公guan", "PR"], "爆雷": ["爆💣", "爆lei"], "裁员": ["裁yuan", "才员"],
    "网暴": ["网bao", "罔暴"], "谣言": ["遥言", "yao言"], "上市": ["上shi", "尚市"], "卖国": ["卖guo", "麦国"],
}
_HOMOPHONE_RE = re.compile("|".join(sorted(map(re.escape, HOMOPHONES), key=len, reverse=True)))
SPLIT_SEPARATORS = [" ", "/", ".", "*", "-", "·"]

TRANSFORMS = ("entity_swap", "traditional", "spaced_name", "pinyin_initials", "homophone", "garble")


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def _industry(suffix: str) -> str:
    for ind, sfx in INDUSTRY_SUFFIXES.items():
        if suffix in sfx:
            return ind
    return "group"


def find_entities(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, stem, suffix) of company-like names."""
    found = []
    for m in _ENTITY_RE.finditer(text):
        stem, suffix = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if stem in _GENERIC_STEMS or stem[-1] in "的了是在和与给被把对向":
            continue
        start = m.start(1) if m.group(1) else m.start(3)
        found.append((start, m.end(), stem, suffix))
    return found


def swap_entity_stems(text: str, new_stem) -> str:
    """Every company-like name's stem replaced by new_stem(stem), one new stem per stem, also where the
    post repeats the stem bare."""
    mapping: dict[str, str] = {}
    for _, _, stem, _suffix in find_entities(text):
        if stem not in mapping:
            mapping[stem] = new_stem(stem)
    for old, new in mapping.items():
        text = text.replace(old, new)
    return text


class Augmenter:
    """Applies one or two random transforms per call; the result depends only on (seed, key, text)."""

    def __init__(self, seed: int = 13, transforms: tuple[str, ...] = TRANSFORMS):
        unknown = set(transforms) - set(TRANSFORMS)
        if unknown:
            raise ValueError(f"unknown transforms {sorted(unknown)}; choose from {TRANSFORMS}")
        self.seed = seed
        self.transforms = tuple(transforms)

    def rng(self, key: str, text: str) -> random.Random:
        return random.Random(zlib.crc32(f"{self.seed}|{key}|{text}".encode("utf-8")))

    def __call__(self, text: str, key: str = "") -> str:
        rng = self.rng(key, text)
        k = 1 if rng.random() < 0.6 else 2
        for name in rng.sample(self.transforms, k=min(k, len(self.transforms))):
            text = getattr(self, name)(text, rng)
        return text

    # --- transforms: each takes (text, rng) and returns text, unchanged when it does not apply
    def entity_swap(self, text: str, rng: random.Random) -> str:
        return swap_entity_stems(text, lambda stem: rng.choice([s for s in STEMS if s != stem]))

    def traditional(self, text: str, rng: random.Random) -> str:
        return _s2t().convert(text)

    def spaced_name(self, text: str, rng: random.Random) -> str:
        ents = find_entities(text)
        if not ents:
            return text
        start, end, _, _ = rng.choice(ents)
        sep = rng.choice(SPLIT_SEPARATORS)
        return text[:start] + sep.join(text[start:end]) + text[end:]

    def pinyin_initials(self, text: str, rng: random.Random) -> str:
        from pypinyin import Style, lazy_pinyin

        ents = find_entities(text)
        if not ents:
            return text
        start, end, stem, suffix = rng.choice(ents)
        initials = "".join(lazy_pinyin(stem, style=Style.FIRST_LETTER))
        initials = initials.upper() if rng.random() < 0.7 else initials
        return text.replace(stem + suffix, initials + suffix)

    def homophone(self, text: str, rng: random.Random) -> str:
        return _HOMOPHONE_RE.sub(lambda m: rng.choice(HOMOPHONES[m.group(0)]) if rng.random() < 0.7 else m.group(0),
                                 text)

    def garble(self, text: str, rng: random.Random) -> str:
        """The scraped-page garbling: traditional characters, pinyin glosses, comma junk."""
        from pypinyin import Style, pinyin

        out = []
        for ch, py in zip(text, pinyin(text, style=Style.TONE, errors=lambda s: [[""] for _ in s])):
            out.append(ch)
            if py and py[0] and "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.25:
                out.append(f"({py[0]})")
        s = "".join(out).replace("，", ",,").replace("、", ",、").replace("。", ",。")
        return _s2t().convert(s)


def augment_examples(texts: list[str], keys: list[str], seed: int, epoch: int = 0) -> list[str]:
    """One augmented copy per text, different each epoch, reproducible."""
    aug = Augmenter(seed=seed * 1000 + epoch)
    return [aug(t, k) for t, k in zip(texts, keys)]
