import re
from pathlib import Path

import pytest

from rumorclf.normalize import normalize, normalize_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PINYIN_GLOSS = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")


def test_garbled_crackdown_report_comes_out_clean_simplified():
    """A scraped government report on a campaign against online attacks on enterprises, garbled
    the way such pages come out of scrapers: traditional characters, pinyin glosses after them
    (網(wǎng)絡(luò)) and comma junk (",," ",、" ",。"). The report is fictional, written for this
    project (tests/fixtures/crackdown_report_clean.txt); the garbled copy was made from it with
    OpenCC s2t, pypinyin glosses after 70% of the converted characters and random comma junk."""
    raw = (FIXTURES / "crackdown_report_garbled.txt").read_text(encoding="utf-8")
    clean = (FIXTURES / "crackdown_report_clean.txt").read_text(encoding="utf-8")
    res = normalize(raw)
    assert res.text.split() == clean.split(), "the report must come back exactly (line breaks aside)"
    assert PINYIN_GLOSS.findall(raw), "the fixture should contain pinyin glosses"
    assert not PINYIN_GLOSS.findall(res.text)
    assert not re.search(r"[,，、。][,，、。]", res.text), "doubled punctuation left"
    assert "," not in res.text
    for trad in "網絡營環專項動會議發產業":
        assert trad not in res.text
    assert "优化营商网络环境专项行动" in res.text
    assert {"pinyin_gloss", "comma_junk", "simplified"} <= set(res.changes)


def test_garbled_fragment_exactly():
    assert normalize_text("3月29日,,省委網(wǎng)信辦,、省發(fā)改委召開推進(jìn)會(huì),。") == "3月29日，省委网信办、省发改委召开推进会。"


@pytest.mark.parametrize("text", [
    "今天天气不错，我们去吃饭。",
    "鑫达科技发布声明：网传“老板跑路”系谣言，已报警处理。",
    "苹果(apple)很好吃",
    "埃隆·马斯克说了什么？",
    "#鑫达科技辟谣# @远川乳业官方 已收到",
    "价格199元，2024年第3季度营收下降12%",
])
def test_clean_simplified_text_passes_through_unchanged(text):
    res = normalize(text)
    assert res.text == text
    assert res.changes == ()
    assert not res.changed


@pytest.mark.parametrize("raw, clean, step", [
    ("宁 德 时 代 要完了", "宁德时代要完了", "spaced_cjk"),
    ("鑫/达/科/技 老板跑路", "鑫达科技老板跑路", "spaced_cjk"),
    ("鑫.达.科.技", "鑫达科技", "spaced_cjk"),
    ("寧德時代要倒閉了", "宁德时代要倒闭了", "simplified"),
    ("ＡＢＣ科技１２３", "ABC科技123", "width"),
    ("鑫\u200b达\u200d科技", "鑫达科技", "control"),
    ("看 https://t.cn/A6abc 这个", "看 [URL] 这个", "url"),
    ("@ 鑫达官方 你们出来说句话", "@鑫达官方 你们出来说句话", "mention"),
    ("# 鑫达 爆雷 #", "#鑫达爆雷#", "topic"),
])
def test_evasion_spellings(raw, clean, step):
    res = normalize(raw)
    assert res.text == clean
    assert step in res.changes


@pytest.mark.parametrize("text", [
    "寧 德 時 代,,要完(wán)了,。", "鑫/达/科/技  ＡＢＣ \u200b http://x.cn/1 # 话 题 #",
    "", "   ", "😂😂😂", "a,,b", "@ @ @", "##", "中,文", "ｈｔｔｐ：／／ｘ．ｃｎ",
])
def test_idempotent(text):
    once = normalize(text)
    twice = normalize(once.text)
    assert twice.text == once.text
    assert twice.changes == ()


@pytest.mark.parametrize("text", ["寧 德 時 代 要完了", "鑫/达/科/技 老板跑路", "  ＡＢＣ  鑫达 ", "網(wǎng)絡(luò)謠言"])
def test_offsets_point_back_into_the_original(text):
    res = normalize(text)
    assert len(res.offsets) == len(res.text)
    assert list(res.offsets) == sorted(res.offsets)
    for i, ch in enumerate(res.text):
        orig = text[res.offsets[i]]
        assert orig == ch or normalize_text(orig) == ch, (i, ch, orig)
    start, end = res.original_span(0, len(res.text))
    assert normalize_text(text[start:end]) == res.text


def test_non_string_raises():
    with pytest.raises(TypeError):
        normalize(None)
