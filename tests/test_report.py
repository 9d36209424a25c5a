"""The indicator report (rumorclf.report.build_report): exact counts, CSV, escaping, evidence
highlighting, the interactive Vega-Lite chart specs (rendered by Vega without a browser); the
headless-Chromium render is in test_report_browser.py."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from rumorclf.report import build_report, highlight, parse_day
from rumorclf.taxonomy import Taxonomy

TAX = Taxonomy.default()
XINGHE, LANJING = "星河电子", "蓝鲸食品"   # fictional companies
SCRIPT_POST = "<script>alert('x')</script> 不给公关费就发负面稿，星河电子看着办 & \"后果自负\""


def _ev(text: str, frag: str, weight: float = 0.9) -> dict:
    i = text.index(frag)
    return {"text": frag, "start": i, "end": i + len(frag), "weight": weight}


def _tg(text: str, name: str) -> dict:
    i = text.find(name)
    return {"name": name, "matched": name, "start": i, "end": i + len(name),
            "source": "watchlist", "type": "company"}


def _row(text, labels, scores=None, targets=(), evidence=None, empty=False, **extra) -> dict:
    d = {"id": extra.pop("id", None), "text": text, **extra,
         "pred_labels": list(labels),
         "pred_families": list(dict.fromkeys(TAX.family_of(x) for x in labels)),
         "pred_normalized": False, "pred_empty": empty, "pred_windows": 0 if empty else 1}
    for lab in TAX.labels:
        d[f"score_{lab}"] = (scores or {}).get(lab, 0.01)
    d["pred_targets"] = [_tg(text, t) for t in targets]
    if evidence is not None:
        d["pred_evidence"] = {lab: [_ev(text, frag)] for lab, frag in evidence.items()}
    return d


def _rows() -> list:
    t11 = "<b>星河电子</b> 要完了，\"绝对\"下个月倒闭"
    return [
        _row("据说星河电子老板跑路了，公司马上破产！", ["rumor"], {"rumor": 0.91}, [XINGHE],
             {"rumor": "老板跑路"}, date="2024-05-01"),
        _row("星河电子的手机就是垃圾，买了就后悔", ["product_smear"], {"product_smear": 0.8},
             [XINGHE], {"product_smear": "就是垃圾"}, date="2024-05-01T10:00:00+08:00"),
        _row(SCRIPT_POST, ["extortion"], {"extortion": 0.97}, [XINGHE], {"extortion": "公关费"},
             date="2024-05-02"),
        # unix seconds: 2024-05-02 02:00 UTC = 10:00 in UTC+8
        _row("专业删帖，负面舆情处理，价格优惠 & 快速", ["paid_deletion"], {"paid_deletion": 0.88},
             [], {"paid_deletion": "专业删帖"}, created_at=1714615200),
        _row("蓝鲸食品上市前夕曝猛料，劝大家别打新", ["critical_timing_attack", "negative_hype"],
             {"critical_timing_attack": 0.93, "negative_hype": 0.6}, [LANJING],
             {"critical_timing_attack": "上市前夕曝猛料", "negative_hype": "曝猛料"},
             date="2024-05-03"),
        _row("今天天气不错，去蓝鲸食品超市买了点东西", [], {}, [LANJING], date="2024-05-03"),
        _row("", [], {}, [], empty=True, date="2024-05-03"),
        _row("随便聊聊", [], {}, []),                                       # no date
        # 20:00 UTC on 05-02 = 04:00 on 05-03 in UTC+8
        _row("冒充星河电子官方客服，退款请访问 http://xinghe-refund.example/pay?a=1&b=2", ["counterfeit"], {"counterfeit": 0.85}, [XINGHE],
             {"counterfeit": "官方客服"}, timestamp="2024-05-02T20:00:00Z"),
        _row("大家一起冲蓝鲸食品评论区！", ["cyberbullying"], {"cyberbullying": 0.7}, [LANJING],
             {"cyberbullying": "冲蓝鲸食品评论区"}),                          # no date
        _row(t11, ["negative_hype", "rumor"], {"negative_hype": 0.82, "rumor": 0.75}, [XINGHE],
             {"negative_hype": "要完了", "rumor": "倒闭"}, date="2024-05-04"),
    ]


def _write(path: Path, rows, extra_lines=()) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        f.writelines(line + "\n" for line in extra_lines)
    return path


@pytest.fixture()
def classified(tmp_path):
    return _write(tmp_path / "classified.jsonl", _rows(), ["{not json", "[1, 2]", ""])


def _csv(path) -> dict:
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.DictReader(f)
        assert rd.fieldnames == ["dimension", "key", "posts", "share"]
        return {(r["dimension"], r["key"]): (int(r["posts"]), float(r["share"])) for r in rd}


def test_counts_in_dict(classified, tmp_path):
    agg = build_report(classified, tmp_path / "r.html")
    assert (agg["posts"], agg["flagged"], agg["normal"]) == (11, 8, 3)
    assert (agg["empty"], agg["malformed"], agg["no_date"]) == (1, 2, 2)
    assert agg["share_flagged"] == pytest.approx(8 / 11)
    expect_labels = {lab: 0 for lab in TAX.labels}
    expect_labels.update(rumor=2, product_smear=1, extortion=1, paid_deletion=1,
                         critical_timing_attack=1, negative_hype=2, counterfeit=1, cyberbullying=1)
    assert agg["by_label"] == expect_labels
    assert agg["by_family"] == {"A": 3, "B": 3, "C": 2, "D": 2}
    assert agg["by_target"] == {
        XINGHE: {"posts": 5, "flagged": 5, "labels": {"rumor": 2, "product_smear": 1,
                                                      "extortion": 1, "counterfeit": 1,
                                                      "negative_hype": 1}},
        LANJING: {"posts": 3, "flagged": 2, "labels": {"critical_timing_attack": 1,
                                                       "negative_hype": 1, "cyberbullying": 1}},
    }
    assert list(agg["by_target"]) == [XINGHE, LANJING]
    assert agg["by_day"] == {
        "2024-05-01": {"posts": 2, "flagged": 2, "families": {"A": 2}},
        "2024-05-02": {"posts": 2, "flagged": 2, "families": {"B": 2}},
        "2024-05-03": {"posts": 4, "flagged": 2, "families": {"B": 1, "C": 1, "D": 1}},
        "2024-05-04": {"posts": 1, "flagged": 1, "families": {"A": 1, "C": 1}},
        "unknown": {"posts": 2, "flagged": 1, "families": {"D": 1}},
    }
    assert list(agg["by_day"])[-1] == "unknown"
    assert agg["date_fields_used"] == {"date": 7, "created_at": 1, "timestamp": 1}
    # top posts: highest score first, only categories that occur
    assert [e["score"] for e in agg["top_posts"]["rumor"]] == [0.91, 0.75]
    assert set(agg["top_posts"]) == {lab for lab, n in expect_labels.items() if n}
    assert Path(agg["html"]).exists() and Path(agg["csv"]) == tmp_path / "r.csv"


def test_counts_in_csv(classified, tmp_path):
    out = tmp_path / "sub" / "report.html"
    agg = build_report(classified, out, csv_path=tmp_path / "numbers.csv")
    rows = _csv(tmp_path / "numbers.csv")
    assert not (tmp_path / "sub" / "report.csv").exists()
    assert rows[("total", "posts")] == (11, 1.0)
    assert rows[("total", "flagged")] == (8, pytest.approx(8 / 11, abs=1e-6))
    assert rows[("total", "empty")][0] == 1
    assert rows[("total", "malformed")] == (2, pytest.approx(2 / 13, abs=1e-6))
    for lab, n in agg["by_label"].items():
        assert rows[("label", lab)] == (n, pytest.approx(n / 11, abs=1e-6))
    assert rows[("label", "rumor")][0] == 2 and rows[("label", "privacy_leak")] == (0, 0.0)
    assert rows[("family", "A")] == (3, pytest.approx(3 / 11, abs=1e-6))
    assert rows[("target", XINGHE)][0] == 5 and rows[("target", LANJING)][0] == 3
    assert rows[("target_flagged", LANJING)][0] == 2
    assert rows[("target_label", f"{XINGHE}|rumor")][0] == 2
    assert rows[("day", "2024-05-03")][0] == 4 and rows[("day", "unknown")][0] == 2
    assert rows[("day_flagged", "2024-05-03")][0] == 2
    assert rows[("day_family", "2024-05-02|B")][0] == 2
    dims = {d for d, _ in rows}
    assert dims == {"total", "label", "family", "target", "target_flagged", "target_label",
                    "day", "day_flagged", "day_family"}


def test_html_self_contained_escaped_and_marked(classified, tmp_path):
    agg = build_report(classified, tmp_path / "r.html")
    page = Path(agg["html"]).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    # no external assets of any kind
    ext = r"""(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//"""
    assert not re.search(ext, page, re.IGNORECASE)
    css_ext = r"url\(\s*['\"]?\s*(?:https?:)?//|@import|@font-face"
    assert not re.search(css_ext, page, re.IGNORECASE)
    # the only scripts are the report's own: the chart specs (JSON), the inlined chart library,
    # the page's init code; none loads anything (no src); outside them no link of any kind
    assert _script_tags(page) == _OWN_SCRIPTS
    markup = _without_scripts(page)
    assert "<link" not in markup.lower() and "href" not in markup.lower()
    assert "src=" not in markup.lower()
    # a URL inside a post is shown as escaped text, never as a link or an asset
    assert "http://xinghe-refund.example/pay?a=1&amp;b=2" in page
    # the post's <script> is text, not markup
    assert "<script>alert" not in page.lower() and "alert('x')" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;星河电子&lt;/b&gt;" in page and "<b>" not in page
    # evidence spans inside <mark>
    for frag in ("老板跑路", "就是垃圾", "公关费", "专业删帖", "上市前夕曝猛料", "官方客服", "倒闭"):
        assert f"<mark>{frag}</mark>" in page
    # Chinese names from the taxonomy, font stack, families
    assert TAX.category("rumor").zh in page and "敲诈勒索" in page
    assert '"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif' in page
    # four charts (trend, family, category, target), each with its Vega-Lite spec in the page
    assert re.findall(r'data-chart="(\w+)"', page) == ["trend", "family", "label", "target"]
    assert set(_specs(page)) == {"trend", "family", "label", "target"}
    # the top posts are a table, one row per (category, post)
    assert page.count('<tr data-label="') == sum(len(v) for v in agg["top_posts"].values()) == 10


def _specs(page: str) -> dict:
    return {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r'<script type="application/json" id="spec-(\w+)">(.*?)</script>', page, re.S)}


_OWN_SCRIPTS = ['<script type="application/json" id="spec-trend">',
                '<script type="application/json" id="spec-family">',
                '<script type="application/json" id="spec-label">',
                '<script type="application/json" id="spec-target">',
                "<script>", '<script type="module" id="vega-lib">',
                '<script type="module" id="report-init">']


def _script_tags(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", page, re.IGNORECASE)


def _without_scripts(page: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.IGNORECASE)


def _walk(node):
    yield node
    for v in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
        yield from _walk(v)


def test_chart_specs_are_interactive(classified, tmp_path):
    agg = build_report(classified, tmp_path / "r.html")
    specs = _specs(Path(agg["html"]).read_text(encoding="utf-8"))
    for name, spec in specs.items():
        nodes = list(_walk(spec))
        assert any(isinstance(n, dict) and "tooltip" in n for n in nodes), name        # hover
        params = [p for n in nodes if isinstance(n, dict) for p in n.get("params", [])]
        assert any(p.get("bind") == "legend" for p in params), name                   # filter
    trend = [p for n in _walk(specs["trend"]) if isinstance(n, dict) for p in n.get("params", [])]
    assert {"name": "brush", "select": {"type": "interval", "encodings": ["x"]}} in trend  # zoom
    assert specs["label"]["params"][0]["bind"]["input"] == "select"                    # drop-down
    # the data behind the charts are the report's numbers
    flagged = {r["day"]: r["flagged"] for r in specs["trend"]["datasets"]["flagged"]}
    assert flagged == {"2024-05-01": 2, "2024-05-02": 2, "2024-05-03": 2, "2024-05-04": 1}
    bars = {r["id"]: r["posts"] for r in specs["label"]["data"]["values"]}
    assert bars == agg["by_label"]


def test_specs_compile_and_render_with_vega(classified, tmp_path):
    """Each spec goes through Vega-Lite and Vega (vl-convert's own engine, no browser)."""
    vlc = pytest.importorskip("vl_convert")
    agg = build_report(classified, tmp_path / "r.html")
    for name, spec in _specs(Path(agg["html"]).read_text(encoding="utf-8")).items():
        svg = vlc.vegalite_to_svg(spec)
        assert "<svg" in svg and "role-mark" in svg, name


def test_markup_in_target_names_stays_data(tmp_path):
    bad = "</script><script>alert(1)</script>"
    rows = [_row(f"{bad}又在造谣", ["rumor"], {"rumor": 0.9}, [bad], date="2024-05-01")]
    agg = build_report(_write(tmp_path / "c.jsonl", rows), tmp_path / "r.html")
    page = Path(agg["html"]).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and len(_script_tags(page)) == len(_OWN_SCRIPTS)
    assert _specs(page)["target"]["data"]["values"][0]["target"] == bad   # JSON keeps it as text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page                 # tables escape it


def test_missing_report_extra_is_a_clear_error(classified, tmp_path, monkeypatch):
    from rumorclf.analysis.report import ReportDependencyError, charts

    charts.vega_bundle.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "vl_convert", None)
    try:
        with pytest.raises(ReportDependencyError, match=r"vl-convert-python.*rumorclf\[report\]"):
            build_report(classified, tmp_path / "r.html")
    finally:
        charts.vega_bundle.cache_clear()
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.csv").exists()
    assert issubclass(ReportDependencyError, ValueError)   # the CLI reports it and exits 2


def test_by_subset_and_bad_dimension(classified, tmp_path):
    agg = build_report(classified, tmp_path / "r.html", by="label,family", top_n=1)
    assert "by_target" not in agg and "by_day" not in agg
    assert [e["score"] for e in agg["top_posts"]["rumor"]] == [0.91]
    dims = {d for d, _ in _csv(tmp_path / "r.csv")}
    assert dims == {"total", "label", "family"}
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "按日期趋势" not in page and "按涉及企业统计" not in page
    with pytest.raises(ValueError, match="unknown report dimension"):
        build_report(classified, tmp_path / "x.html", by=("label", "region"))


def test_date_field_and_text_field(tmp_path):
    rows = [{"body": "abc", "pred_labels": ["rumor"], "pred_families": ["A"],
             "created_at": "2024-06-01", "date": "2024-01-01"},
            {"body": "def", "pred_labels": [], "pred_families": [], "date": "2024-01-01"},
            {"body": "ghi", "pred_labels": [], "pred_families": [], "created_at": 1717200000}]
    p = _write(tmp_path / "c.jsonl", rows)
    agg = build_report(p, tmp_path / "r.html", date_field="created_at", text_field="body")
    assert agg["by_day"] == {"2024-06-01": {"posts": 2, "flagged": 1, "families": {"A": 1}},
                             "unknown": {"posts": 1, "flagged": 0, "families": {}}}
    assert agg["top_posts"]["rumor"][0]["text"] == "abc"
    # a text field that is not a string makes the row malformed
    p2 = _write(tmp_path / "c2.jsonl", [{"text": 5, "pred_labels": []}, rows[1]])
    assert build_report(p2, tmp_path / "r2.html")["malformed"] == 1


def test_empty_input(tmp_path):
    p = _write(tmp_path / "empty.jsonl", [])
    agg = build_report(p, tmp_path / "r.html")
    assert agg["posts"] == 0 and agg["share_flagged"] == 0.0
    assert _csv(tmp_path / "r.csv")[("total", "posts")] == (0, 0.0)


@pytest.mark.parametrize("value, day", [
    ("2024-05-03", "2024-05-03"), ("2024-05-03 23:59:00", "2024-05-03"),
    ("2024-05-02T20:00:00Z", "2024-05-03"), (1714615200, "2024-05-02"),
    (1714615200000, "2024-05-02"), ("1714615200", "2024-05-02"), ("2024年5月3日 10:00", "2024-05-03"),
    ("2024/5/3", "2024-05-03"), ("20240503", "2024-05-03"), ("yesterday", None), ("", None),
    (None, None), (True, None), (float("nan"), None), ("2024-13-45", None)])
def test_parse_day(value, day):
    from datetime import timedelta, timezone

    assert parse_day(value, timezone(timedelta(hours=8))) == day


def test_highlight_offsets_and_escaping():
    text = "a<b>c & 公关费 d"
    i = text.index("<b>")
    assert highlight(text, [{"text": "<b>", "start": i, "end": i + 3}]) == \
        "a<mark>&lt;b&gt;</mark>c &amp; 公关费 d"
    # wrong offsets fall back to the span's text; unplaceable spans are dropped; overlaps merge
    out = highlight(text, [{"text": "公关费", "start": 0, "end": 3},
                           {"text": "不存在", "start": 99, "end": 120},
                           {"start": 8, "end": 10}, {"start": 9, "end": 11}, "junk"])
    assert out == "a&lt;b&gt;c &amp; <mark>公关费</mark> d"
    long = "x" * 2000 + "公关费" + "y" * 2000
    out = highlight(long, [_ev(long, "公关费")], max_chars=100)
    assert "<mark>公关费</mark>" in out and out.startswith("…") and out.endswith("…")
    assert len(out) < 200
