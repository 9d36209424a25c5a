"""The one output schema (rumorclf.schema) and the one JSONL reader (rumorclf.io), issue 17."""

import json
from collections import Counter

import pytest

from rumorclf import Taxonomy
from rumorclf.batch import ClassifyOptions
from rumorclf.io import load_jsonl, read_jsonl
from rumorclf.schema import (Prediction, error_row, prediction_dict, prediction_from_row, prediction_row,
                             read_prediction_rows)


def _pred(**kw):
    tax = Taxonomy.default()
    scores = {lab: 0.01 * i for i, lab in enumerate(tax.labels)}
    base = dict(labels=[tax.labels[-1]], scores=scores, families=[tax.family_of(tax.labels[-1])],
                family_scores={}, normalized=True, empty=False, windows=2)
    return Prediction(**{**base, **kw})


def test_a_prediction_goes_to_a_flat_row_and_back():
    tax = Taxonomy.default()
    p = _pred(evidence={tax.labels[-1]: [{"text": "x", "start": 0, "end": 1, "weight": 0.9}]}, targets=[])
    row = prediction_row(p, tax.labels)
    assert all(not isinstance(v, dict) for k, v in row.items() if k != "pred_evidence")
    assert [k for k in row if k.startswith("score_")] == [f"score_{lab}" for lab in tax.labels]
    back = prediction_from_row(json.loads(json.dumps(row)), tax)
    assert (back.labels, back.families, back.normalized, back.empty, back.windows) == \
        (p.labels, p.families, p.normalized, p.empty, p.windows)
    assert back.scores == pytest.approx(p.scores) and back.evidence == p.evidence and back.targets == []
    assert set(back.family_scores) == {f.id for f in tax.families}


def test_to_dict_is_the_nested_shape_made_by_the_schema():
    p = _pred()
    assert p.to_dict() == prediction_dict(p)
    assert "evidence" not in p.to_dict() and p.to_dict()["scores"] == p.scores
    assert error_row("field 'text' is missing") == {"pred_error": "field 'text' is missing"}


def test_read_prediction_rows_counts_what_it_skips(tmp_path):
    path = tmp_path / "c.jsonl"
    good = {"id": 1, "text": "t", **prediction_row(_pred())}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode() + b"\n\n{bad\n[1]\n"
                     + json.dumps({"text": "not classified"}).encode() + b"\n"
                     + json.dumps({"text": "x", "pred_error": "no text"}).encode() + b"\n")
    stats = Counter()
    rows = list(read_prediction_rows(path, stats=stats))
    assert [(r.line, r.data["id"], r.prediction.labels) for r in rows] == [(1, 1, good["pred_labels"])]
    assert stats == Counter(malformed=4, not_json=2, unlabelled=2)


def test_read_jsonl_reports_each_bad_line_and_strips_the_bom_once(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n\xff\n{"b"\n\xef\xbb\xbf{"c": 2}\n')
    got = [(r.line, r.value, r.error) for r in read_jsonl(path)]
    assert got[:2] == [(1, {"a": 1}, None), (2, None, "blank line")]
    assert got[2][2] == "invalid UTF-8 at byte 0" and got[3][2].startswith("bad JSON")
    assert got[4][2].startswith("bad JSON")  # a BOM in the middle of a file is content, not a marker
    with pytest.raises(ValueError, match="x.jsonl: line 3: invalid UTF-8"):
        load_jsonl(path)


@pytest.mark.parametrize("field", ["batch_size", "chunk_size", "threads"])
def test_run_options_are_positive_integers_on_every_engine(field):
    with pytest.raises(ValueError, match=field):
        ClassifyOptions(**{field: 0})
    assert getattr(ClassifyOptions.of(None, **{field: 3}), field) == 3
