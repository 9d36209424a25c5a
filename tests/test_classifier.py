import json
import shutil

import numpy as np
import pytest

from rumorclf import ModelDirError, RumorClassifier, Taxonomy, TaxonomyError


def test_predict_shapes_and_fields(tiny_clf):
    texts = ["鑫达科技老板跑路了", "今天天气不错", "寧德時代 要完了"]
    preds = tiny_clf.predict(texts)
    assert len(preds) == 3
    for p in preds:
        assert set(p.scores) == set(tiny_clf.labels)
        assert all(0.0 <= s <= 1.0 for s in p.scores.values())
        assert set(p.family_scores) == {"A", "B", "C", "D"}
        assert set(p.families) == {tiny_clf.taxonomy.family_of(lab) for lab in p.labels}
    assert preds[2].normalized and "simplified" in preds[2].changes
    assert not preds[1].normalized
    proba = tiny_clf.predict_proba(texts)
    assert proba.shape == (3, 15) and proba.dtype == np.float32
    np.testing.assert_allclose(proba[0], [preds[0].scores[lab] for lab in tiny_clf.labels], atol=1e-6)


def test_scores_do_not_depend_on_batching_or_order(tiny_clf):
    texts = ["鑫达科技老板跑路了", "短", "公司" * 40, "今天天气不错，我们去吃饭"]
    a = tiny_clf.predict_proba(texts, batch_size=1)
    b = tiny_clf.predict_proba(texts[::-1], batch_size=3)[::-1]
    np.testing.assert_allclose(a, b, atol=1e-4)
    c = tiny_clf.predict_proba(texts + ["第五条"], batch_size=8)[:4]  # 5 rows padded to 8 with filler rows
    np.testing.assert_allclose(a, c, atol=1e-4)


def test_batches_come_in_few_shapes(tiny_model_dir):
    """Widths are multiples of 32 and row counts powers of two: a long run reuses a few tensor
    shapes instead of meeting a new one per call (each new shape grew the process's memory)."""
    from rumorclf import RumorClassifier

    clf = RumorClassifier.from_pretrained(tiny_model_dir, precision="fp32")
    shapes, encode = [], clf.encoder

    def recording(ids, mask):
        shapes.append(ids.shape)
        return encode(ids, mask)

    clf.encoder = recording
    for n in (1, 3, 5, 37, 64, 70):
        clf.predict_proba(["鑫达科技老板跑路了" * (1 + i % 7) for i in range(n)], batch_size=64)
    assert all(r & (r - 1) == 0 for r, _ in shapes), shapes  # powers of two (64 = batch_size)
    assert len(set(shapes)) <= 7 * 4
    assert all(w % 32 == 0 for _, w in shapes), shapes


def test_thresholds(tiny_clf):
    text = ["鑫达科技老板跑路了"]
    scores = tiny_clf.predict(text)[0].scores
    assert tiny_clf.predict(text, threshold=0.0)[0].labels == tiny_clf.labels
    assert tiny_clf.predict(text, threshold=1.0)[0].labels == []
    top = max(scores, key=scores.get)
    per_label = {lab: 1.0 for lab in tiny_clf.labels}
    per_label[top] = 0.0
    assert tiny_clf.predict(text, threshold=per_label)[0].labels == [top]
    with pytest.raises(TaxonomyError):
        tiny_clf.predict(text, threshold={"no_such_label": 0.5})
    with pytest.raises(ValueError):
        tiny_clf.predict(text, threshold=1.5)


def test_thresholds_stored_in_model_dir(tmp_path):
    from tests.tiny import make_tiny_classifier

    clf = make_tiny_classifier()
    clf.thresholds["rumor"] = 0.0
    clf.thresholds["cyberbullying"] = 1.0
    clf.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "rumorclf.json").read_text())["thresholds"]["rumor"] == 0.0
    loaded = RumorClassifier.from_pretrained(tmp_path)
    p = loaded.predict(["随便一句话"])[0]
    assert "rumor" in p.labels and "cyberbullying" not in p.labels


def test_long_posts_use_sliding_windows_not_truncation(tiny_clf):
    # the tiny model's window is 32 tokens; the signal sits at the very end of a long post
    filler = "今天天气不错我们去吃饭" * 20
    preds = tiny_clf.predict([filler, filler + "鑫达科技老板跑路了"])
    assert preds[0].windows > 1 and preds[1].windows >= preds[0].windows
    tail_only = tiny_clf.predict_proba(["鑫达科技老板跑路了"])[0]
    long_scores = tiny_clf.predict_proba([filler + "鑫达科技老板跑路了"])[0]
    # max over windows: the long post scores at least what its suspicious tail window scores
    assert not np.allclose(long_scores, tiny_clf.predict_proba([filler])[0])
    assert (long_scores >= np.minimum(tail_only, long_scores) - 1e-6).all()


def test_empty_and_whitespace_posts(tiny_clf):
    preds = tiny_clf.predict(["", "   ", "\u200b\n", "有内容"])
    for p in preds[:3]:
        assert p.empty and p.labels == [] and p.windows == 0
        assert all(s == 0.0 for s in p.scores.values())
    assert not preds[3].empty


def test_non_string_input_names_the_position(tiny_clf):
    with pytest.raises(TypeError, match=r"texts\[2\] is int"):
        tiny_clf.predict(["a", "b", 3])
    with pytest.raises(TypeError, match=r"texts\[0\] is NoneType"):
        tiny_clf.predict_proba([None])
    with pytest.raises(TypeError, match="single str"):
        tiny_clf.predict("一个字符串")


def test_empty_batch(tiny_clf):
    assert tiny_clf.predict([]) == []
    assert tiny_clf.predict_proba([]).shape == (0, 15)


def test_save_load_round_trip_is_hf_compatible(tiny_model_dir, tiny_clf):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    assert model.config.problem_type == "multi_label_classification"
    assert [model.config.id2label[i] for i in range(15)] == tiny_clf.labels
    assert AutoTokenizer.from_pretrained(tiny_model_dir) is not None
    card = (tiny_model_dir / "README.md").read_text()
    assert "rumor" in card and "threshold" in card


def test_label_mismatch_with_taxonomy_is_a_clear_error(tiny_model_dir, tmp_path):
    d = Taxonomy.default().to_dict()
    d["categories"] = d["categories"][:3]
    p = tmp_path / "three.json"
    p.write_text(json.dumps(d))
    with pytest.raises(TaxonomyError, match="differ"):
        RumorClassifier.from_pretrained(tiny_model_dir, taxonomy=p)
    RumorClassifier.from_pretrained(tiny_model_dir, taxonomy=Taxonomy.default())  # same labels: fine


def test_config_json_labels_must_match_rumorclf_json(tiny_model_dir, tmp_path):
    bad = tmp_path / "m"
    shutil.copytree(tiny_model_dir, bad)
    cfg = json.loads((bad / "config.json").read_text())
    cfg["id2label"]["0"], cfg["id2label"]["1"] = cfg["id2label"]["1"], cfg["id2label"]["0"]
    (bad / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(TaxonomyError):
        RumorClassifier.from_pretrained(bad)


def test_missing_model_dir_is_a_clear_error(tmp_path):
    with pytest.raises(ModelDirError, match="not found"):
        RumorClassifier.from_pretrained(tmp_path / "nope")


def test_saved_tokenizer_does_not_keep_the_window_settings(tmp_path):
    import json

    from transformers import AutoTokenizer

    from rumorclf import RumorClassifier

    clf = RumorClassifier.from_pretrained()  # the packaged model: its fast tokenizer records the call
    clf.predict(["鑫达科技老板跑路了" * 30])  # windows: the tokenizer is called with truncation + stride
    clf.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert "max_length" not in cfg and "stride" not in cfg
    assert json.loads((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))["truncation"] is None
    assert len(AutoTokenizer.from_pretrained(tmp_path)("鑫达科技老板跑路了" * 30)["input_ids"]) > 200


def test_threshold_vector_is_what_predict_applies(tiny_model_dir):
    from rumorclf import RumorClassifier

    clf = RumorClassifier.from_pretrained(tiny_model_dir)
    own = clf.threshold_vector()
    assert own.tolist() == pytest.approx([clf.thresholds[lab] for lab in clf.labels])
    assert clf.threshold_vector(0.3).tolist() == pytest.approx([0.3] * len(clf.labels))
    first = clf.labels[0]
    mixed = clf.threshold_vector({first: 0.9})
    assert mixed[0] == pytest.approx(0.9) and mixed[1:].tolist() == pytest.approx(own[1:].tolist())
    with pytest.raises(ValueError):
        clf.threshold_vector(1.5)
