"""Our labelled data passes its checks; augmentation is deterministic; near duplicates are found."""

import io

from rumorclf.normalize import normalize_text
from rumorclf.taxonomy import Taxonomy
from training import data_check
from training.augment import TRANSFORMS, Augmenter, find_entities
from training.data import DATA_DIR, near_duplicates


def test_committed_data_passes_data_check():
    buf = io.StringIO()
    failures = data_check.check(DATA_DIR, Taxonomy.default(), out=buf)
    report = buf.getvalue()
    assert failures == [], report
    assert "PASS" in report and "cross-split near-duplicate pairs" in report


def test_datasheet_counts_match_the_data():
    """data/README.md's counts block is data_check's table, line for line (it says so)."""
    buf = io.StringIO()
    data_check.check(DATA_DIR, Taxonomy.default(), out=buf)
    table = [line for line in buf.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(table) if line.startswith("label"))
    end = next(i for i, line in enumerate(table) if line.startswith("test: multi-label"))
    sheet = (DATA_DIR / "README.md").read_text(encoding="utf-8").split("## Counts", 1)[1]
    block = sheet.split("```", 2)[1].strip().splitlines()
    assert block == table[start:end + 1]


def test_near_duplicates_found_and_spared():
    a = ["鑫达科技老板昨晚跑路了，工厂全部停工，大家赶紧退货", "今天天气不错"]
    b = ["鑫达科技老板昨晚跑路了，工厂全部停工，大家快退货！", "远川乳业发布三季度财报，营收同比下降"]
    pairs = near_duplicates(a, b, threshold=0.5)
    assert [(i, j) for i, j, _ in pairs] == [(0, 0)]
    assert near_duplicates(a) == []


def test_augmentation_is_deterministic_and_changes_text():
    text = "刚收到消息，栖梧地产董事长昨晚被带走了，专业删帖请私聊，倒闭是迟早的事"
    a1, a2 = Augmenter(seed=7), Augmenter(seed=7)
    outs = [a1(text, key=f"k{i}") for i in range(20)]
    assert outs == [a2(text, key=f"k{i}") for i in range(20)]
    assert any(o != text for o in outs)
    assert [Augmenter(seed=8)(text, key=f"k{i}") for i in range(20)] != outs


def test_each_transform():
    import random

    text = "鑫达科技老板跑路了，专业删帖"
    aug = Augmenter(seed=1)
    assert find_entities(text)[0][2:] == ("鑫达", "科技")
    for name in TRANSFORMS:
        out = getattr(aug, name)(text, random.Random(0))
        assert out != text, name
    # what the normaliser undoes vs what survives it
    assert normalize_text(aug.traditional(text, random.Random(0))) == text
    assert normalize_text(aug.spaced_name(text, random.Random(0))) == text
    assert normalize_text(aug.garble(text, random.Random(0))) == text
    assert "XD" in aug.pinyin_initials(text, random.Random(0)).upper()
