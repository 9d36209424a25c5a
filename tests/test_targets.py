"""TargetFinder: watchlist matching through normalisation and pinyin initials, auto candidates,
offsets into the original post, watchlist file formats and their errors. All names are fictional."""

import json
import time

import pytest

from rumorclf.normalize import normalize
from rumorclf.targets import TargetFinder, WatchlistError, parse_watchlist, pinyin_variants

ENTRIES = [
    {"name": "鑫达科技", "aliases": ["鑫达"], "type": "company"},
    {"name": "远川乳业集团", "aliases": ["远川乳业", "YC Dairy"], "type": "company"},
    {"name": "王大明", "aliases": [], "type": "person"},
    {"name": "澜舟能源", "aliases": ["LZ能源"], "type": "brand"},
]


@pytest.fixture(scope="module")
def finder():
    return TargetFinder(ENTRIES, auto=False)


def _check_offsets(post: str, results: list[dict]) -> None:
    for r in results:
        assert post[r["start"]:r["end"]] == r["matched"], r
        assert set(r) == {"name", "matched", "start", "end", "source", "type", "count"}


@pytest.mark.parametrize("post, matched", [
    ("鑫达科技老板跑路了", "鑫达科技"),                  # plain
    ("鑫達科技老闆跑路了", "鑫達科技"),                  # traditional
    ("听说鑫 达 科 技要倒闭了", "鑫 达 科 技"),          # spaced
    ("听说 鑫/达/科/技 要倒闭了", "鑫/达/科/技"),        # symbol-split
    ("鑫.達.科.技 的老闆跑了", "鑫.達.科.技"),           # symbol-split traditional
    ("ＸＤ科技要完了", "ＸＤ科技"),                      # full-width, generated pinyin initials
    ("XD科技要完了", "XD科技"),                          # generated pinyin initials
    ("xd科技要完了", "xd科技"),
    ("x达科技的产品不行", "x达科技"),
    ("听说XDKJ跑路了", "XDKJ"),                          # all initials, any case
    ("鑫\u200b达科技被查", "鑫\u200b达科技"),            # zero-width character inside
])
def test_watchlist_spellings(finder, post, matched):
    res = finder.find(normalize(post))
    assert [r["name"] for r in res] == ["鑫达科技"]
    assert res[0]["matched"] == matched
    assert res[0]["source"] == "watchlist" and res[0]["type"] == "company"
    _check_offsets(post, res)


def test_listed_pinyin_alias_and_case_insensitive_alias():
    f = TargetFinder(ENTRIES, auto=False, pinyin=False)
    post = "lz能源和yc dairy都要完了"
    res = f.find(normalize(post))
    assert [(r["name"], r["matched"], r["type"]) for r in res] == [
        ("澜舟能源", "lz能源", "brand"), ("远川乳业集团", "yc dairy", "company")]
    _check_offsets(post, res)
    # with generation off, unlisted initials do not match
    assert f.find(normalize("XD科技要完了")) == []
    assert f.find(normalize("lzny要完了")) == []


def test_generated_variants():
    assert {"xdkj", "xd科技", "x达科技"} <= pinyin_variants("鑫达科技")
    assert "ycry集团" in pinyin_variants("远川乳业集团")
    assert pinyin_variants("华丰") == set()  # two initials alone would be too ambiguous


def test_person_and_brand(finder):
    post = "W大明说澜舟能源的电池会爆炸"
    res = finder.find(normalize(post))
    assert [(r["name"], r["type"]) for r in res] == [("王大明", "person"), ("澜舟能源", "brand")]
    _check_offsets(post, res)


def test_dedup_first_span_and_count(finder):
    post = "XD科技？就是鑫達科技，鑫达也叫鑫 达 科 技"
    res = finder.find(normalize(post))
    assert len(res) == 1
    r = res[0]
    assert (r["name"], r["matched"], r["start"], r["count"]) == ("鑫达科技", "XD科技", 0, 4)
    _check_offsets(post, res)


def test_longest_alias_wins(finder):
    res = finder.find(normalize("远川乳业集团公告"))
    assert res[0]["matched"] == "远川乳业集团"
    res = finder.find(normalize("远川乳业的奶"))
    assert (res[0]["name"], res[0]["matched"]) == ("远川乳业集团", "远川乳业")


def test_latin_alias_not_inside_longer_word(finder):
    assert finder.find(normalize("abxd科技和xdkjz")) == []
    assert [r["matched"] for r in finder.find(normalize("ab xd科技"))] == ["xd科技"]


def test_ambiguous_generated_variant_dropped():
    f = TargetFinder([{"name": "星辰汽车", "aliases": ["XC Motors"]}, "新城汽车"], auto=False)
    assert f.find(normalize("XC汽车要完了")) == []        # xc汽车 fits both: not guessed
    assert [r["name"] for r in f.find(normalize("xc motors要完了"))] == ["星辰汽车"]
    assert [r["name"] for r in f.find(normalize("新城汽车要完了"))] == ["新城汽车"]


def test_aliases_are_normalised_too():
    f = TargetFinder([{"name": "晨光電子", "aliases": ["ＣＧ電子", "晨 光"]}], auto=False)
    post = "晨光电子、cg电子、晨光"
    res = f.find(normalize(post))
    assert [(r["name"], r["matched"], r["count"]) for r in res] == [("晨光電子", "晨光电子", 3)]


def test_find_accepts_str(finder):
    assert [r["name"] for r in finder.find("鑫達科技")] == ["鑫达科技"]


# ------------------------------------------------------------------------------------------- auto
@pytest.fixture(scope="module")
def auto_finder():
    return TargetFinder()


@pytest.mark.parametrize("post, expected", [
    ("听说鑫达科技老板跑路了，工厂已经停工！", [("鑫达科技", "鑫达科技", "company")]),
    ("远川乳业集团的牛奶喝死人了", [("远川乳业集团", "远川乳业集团", "company")]),
    ("听说鑫 达 科 技要倒闭了", [("鑫达科技", "鑫 达 科 技", "company")]),
    ("遠川乳業集團的牛奶有問題", [("远川乳业集团", "遠川乳業集團", "company")]),
    ("蓝海控股股份有限公司爆雷", [("蓝海控股股份有限公司", "蓝海控股股份有限公司", "company")]),
    ("金穗乳业和鼎盛地产都要完了", [("金穗乳业", "金穗乳业", "company"), ("鼎盛地产", "鼎盛地产", "company")]),
    ("鑫达科技董事长王大明被抓了", [("鑫达科技", "鑫达科技", "company"), ("王大明", "王大明", "person")]),
    ("云帆传媒CEO赵明轩被带走", [("云帆传媒", "云帆传媒", "company"), ("赵明轩", "赵明轩", "person")]),
    ("王大明董事长昨天说", [("王大明", "王大明", "person")]),
    ("网传星辰汽车工厂爆炸", [("星辰汽车", "星辰汽车", "company")]),
    ("请大家去星辰汽车官网投诉", [("星辰汽车", "星辰汽车", "company")]),
    ("某新能源车企要倒闭了", [("某新能源车企", "某新能源车企", "anonymous")]),
])
def test_auto_candidates(auto_finder, post, expected):
    res = auto_finder.find(normalize(post))
    assert [(r["name"], r["matched"], r["type"]) for r in res] == expected
    assert all(r["source"] == "auto" for r in res)
    _check_offsets(post, res)


@pytest.mark.parametrize("post", [
    "这家公司要完了，上市公司都这样，某公司也是",
    "民营企业不容易，该公司和那家公司都在裁员",
    "孩子教育很重要，买汽车要谨慎",
    "今天天气不错",
    "你好，我们手上有贵公司的负面稿件，明天见报",  # jieba: 有贵|公司
    "欢迎来本公司参观，向本公司反映问题",
])
def test_auto_filters_generic_words(auto_finder, post):
    assert auto_finder.find(normalize(post)) == []


def test_auto_fallback_only_when_watchlist_silent():
    with_auto = TargetFinder(ENTRIES, auto=True)
    res = with_auto.find(normalize("鑫达科技和星辰汽车都完了"))
    assert [(r["name"], r["source"]) for r in res] == [("鑫达科技", "watchlist")]
    res = with_auto.find(normalize("星辰汽车要完了"))
    assert [(r["name"], r["source"]) for r in res] == [("星辰汽车", "auto")]
    assert TargetFinder(ENTRIES, auto=False).find(normalize("星辰汽车要完了")) == []


# ------------------------------------------------------------------------------------------- files
def test_from_file_formats(tmp_path):
    js = tmp_path / "w.json"
    js.write_text(json.dumps(ENTRIES, ensure_ascii=False, indent=2), encoding="utf-8")
    jl = tmp_path / "w.jsonl"
    jl.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in ENTRIES) + "\n\n", encoding="utf-8")
    tx = tmp_path / "w.txt"
    tx.write_text("# canonical<TAB>aliases<TAB>type\n鑫达科技\t鑫达\n远川乳业集团\t远川乳业|YC Dairy\tcompany\n\n"
                  "王大明\t\tperson\n澜舟能源\tLZ能源\tbrand\n", encoding="utf-8")
    post = "鑫達科技、YC dairy、王大明和LZ能源"
    want = [("鑫达科技", "company"), ("远川乳业集团", "company"), ("王大明", "person"), ("澜舟能源", "brand")]
    for path in (js, jl, tx):
        f = TargetFinder.from_file(path)
        assert len(f) == 4 and f.names == [e["name"] for e in ENTRIES]
        assert [(r["name"], r["type"]) for r in f.find(normalize(post))] == want, path


@pytest.mark.parametrize("content, line, words", [
    ('[\n {"name": "鑫达科技"},\n {"aliases": ["x"]}\n]', 3, "name"),               # missing name
    ('[\n {"name": "鑫达科技"},\n {"name": "远川", "type": "bank"}\n]', 3, "type"),   # bad type
    ('[\n {"name": "鑫达科技"},\n {"name": "远川", "aliases": "远川乳业"}\n]', 3, "aliases"),
    ('[\n {"name": "鑫达科技"},\n {"name": "远川",}\n]', 3, "invalid JSON"),
    ('{"name": "鑫达科技"}\n{"name": "远川" "aliases": []}\n', 2, "invalid JSON"),
    ('{"name": "鑫达科技"}\n\n["远川"]\n', 3, "object"),
    ('{\n "name": "鑫达科技"\n}\n', 1, "single JSON object"),
    ('鑫达科技\t鑫达\n远川乳业集团\t远川||远川乳业\n', 2, "empty alias"),
    ('鑫达科技\t鑫达\n# note\n远川\tx\tcompany\textra\n', 3, "columns"),
    ('鑫达科技\t鑫达\tbank\n', 1, "type"),
    ('鑫达科技\n\t远川\n', 2, "canonical"),
])
def test_malformed_watchlist(tmp_path, content, line, words):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WatchlistError, match=f"line {line}:.*{words}") as info:
        TargetFinder.from_file(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_malformed_entries_in_python():
    with pytest.raises(ValueError, match="entry 1"):
        TargetFinder([{"name": "鑫达科技"}, {"name": "  "}])
    with pytest.raises(TypeError):
        TargetFinder("鑫达科技")


def test_parse_watchlist_text_defaults():
    assert parse_watchlist("鑫达科技\n") == [{"name": "鑫达科技", "aliases": [], "type": "company"}]


# ------------------------------------------------------------------------------------------- scale
def test_large_watchlist_single_regex():
    syll = "鑫达远川星辰金穗鼎盛云帆恒远晨光青禾蓝海华兴澜舟东南西北春夏秋冬"
    names = {}
    i = 0
    while len(names) < 3000:
        a, b, c = syll[i % len(syll)], syll[(i // len(syll)) % len(syll)], syll[(i // 7) % len(syll)]
        names.setdefault(f"{a}{b}{c}科技", None)
        i += 1
    entries = [{"name": n, "aliases": [n[:3] + "集团"]} for n in names]
    t0 = time.perf_counter()
    f = TargetFinder(entries, auto=False)
    target = entries[1234]["name"]
    posts = [normalize(f"网传{target[0]} {target[1]} {target[2]}科技老板跑路了，" * 5)] * 50
    results = [f.find(p) for p in posts]
    assert time.perf_counter() - t0 < 60  # generous: build + 50 posts, under a loaded CPU
    assert results[0][0]["name"] == target and results[0][0]["count"] == 5
    _check_offsets(posts[0].original, results[0])


# ------------------------------------------------------------------------------------------- predict
def test_finder_pickles(finder):
    import pickle

    clone = pickle.loads(pickle.dumps(finder))
    assert clone.find(normalize("XD科技")) == finder.find(normalize("XD科技")) != []


def test_predict_fills_targets(tiny_clf, finder):
    posts = ["鑫 達 科 技老闆跑路了", "今天天气不错"]
    preds = tiny_clf.predict(posts, targets=finder)
    assert [t["name"] for t in preds[0].targets] == ["鑫达科技"]
    assert preds[0].targets[0]["matched"] == "鑫 達 科 技"
    assert preds[1].targets == []
    assert json.loads(json.dumps(preds[0].to_dict(), ensure_ascii=False))["targets"][0]["count"] == 1
