"""The char n-gram half of a combined model (rumorclf/ngram.py) and training.combine."""

import json

import numpy as np
import pytest

from rumorclf import RumorClassifier

sklearn = pytest.importorskip("sklearn", reason="the n-gram model is fitted with the train extra")

TEXTS = ["鑫达科技老板跑路了！！工厂已经停工", "今天天气不错  出去走走", "Hello   WORLD 你好", "a", "",
         "华兴集团 被罚款\t\t两百万元，官方已经通报", "删帖500元一条，加V私聊", "水军 水军 水军 刷好评"]


def _fitted(texts=TEXTS, n_labels=3, seed=0):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(len(texts), n_labels))
    y[0], y[1] = 1, 0  # every label has both classes
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=1, sublinear_tf=True)
    ovr = OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=500)).fit(vec.fit_transform(texts), y)
    return vec, ovr


def test_char_ngrams_are_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from rumorclf.ngram import char_ngrams

    for lo, hi in ((1, 3), (2, 4), (1, 1)):
        analyze = TfidfVectorizer(analyzer="char", ngram_range=(lo, hi), lowercase=False).build_analyzer()
        for t in TEXTS:
            assert char_ngrams(t, lo, hi) == analyze(t), (t, lo, hi)


def test_scores_match_scikit_learn_and_survive_saving(tmp_path):
    from rumorclf.ngram import CharNgramScorer

    vec, ovr = _fitted()
    scorer = CharNgramScorer.from_sklearn(vec, ovr)
    queries = TEXTS + ["从没见过的字", "老板跑路 删帖", "WORLD"]
    want = ovr.predict_proba(vec.transform(queries))
    got = 1 / (1 + np.exp(-scorer.logits(queries)))
    np.testing.assert_allclose(got, want, atol=1e-5)
    loaded = CharNgramScorer.load(tmp_path, scorer.save(tmp_path))
    np.testing.assert_allclose(1 / (1 + np.exp(-loaded.logits(queries))), want, atol=2e-3)  # fp16 coef
    # an unseen-only text scores the intercept: nothing crashes on an empty feature set
    np.testing.assert_allclose(loaded.logits(["从没见过"])[0], loaded.intercept)


def test_a_label_never_seen_in_training_scores_zero():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from rumorclf.ngram import CharNgramScorer

    y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    vec = TfidfVectorizer(analyzer="char")
    with pytest.warns(UserWarning):
        ovr = OneVsRestClassifier(LogisticRegression()).fit(vec.fit_transform(TEXTS[:4]), y)
    logits = CharNgramScorer.from_sklearn(vec, ovr).logits(TEXTS[:2])
    assert (logits[:, 1] < -20).all()


def test_classifier_mixes_the_ngram_logits_and_round_trips(tmp_path, tiny_model_dir):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from rumorclf.ngram import CharNgramScorer
    from rumorclf.normalize import normalize_text

    clf = RumorClassifier.from_pretrained(tiny_model_dir)
    texts = ["鑫达科技老板跑路了", "今天天气不错", "删帖500元一条"] * 3
    y = np.eye(len(clf.labels), dtype=int)[np.arange(len(texts)) % len(clf.labels)]
    y[0] = 1
    y[1] = 0
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    ovr = OneVsRestClassifier(LogisticRegression()).fit(vec.fit_transform(texts), y)
    bert = clf.score_texts(texts, logits=True) / clf.temperature
    clf.ngram = CharNgramScorer.from_sklearn(vec, ovr)
    gram = clf.ngram.logits([normalize_text(t) for t in texts])
    for w, t in ((0.0, 1.0), (1.0, 1.0), (0.3, 2.0)):
        clf.ngram_weight, clf.mix_temperature = w, t
        want = 1 / (1 + np.exp(-((1 - w) * bert + w * gram) / t))
        np.testing.assert_allclose(clf.predict_proba(texts), want, rtol=1e-4, atol=1e-6)
    assert (clf.predict_proba(["", "  "]) == 0).all()  # empty posts still score 0
    clf.save_pretrained(tmp_path / "combined")
    cfg = json.loads((tmp_path / "combined" / "rumorclf.json").read_text(encoding="utf-8"))
    assert cfg["ngram"]["weight"] == 0.3 and cfg["ngram"]["temperature"] == 2.0
    again = RumorClassifier.from_pretrained(tmp_path / "combined")
    np.testing.assert_allclose(again.predict_proba(texts), clf.predict_proba(texts), atol=2e-3)
    (tmp_path / "combined" / "ngram_vocab.json").unlink()
    from rumorclf.modeldir import ModelDirError

    with pytest.raises(ModelDirError, match="ngram_vocab.json"):
        RumorClassifier.from_pretrained(tmp_path / "combined")


def _combine_inputs(tmp_path, tiny_clf):
    """A tiny BERT directory whose recipe names a tiny train and dev split."""
    from rumorclf import Taxonomy

    labels = Taxonomy.default().labels
    rows = [{"text": f"鑫达科技老板跑路{i}倒闭", "labels": ["rumor"]} for i in range(10)]
    rows += [{"text": f"今天天气不错{i}出去走走", "labels": []} for i in range(10)]
    rows += [{"text": f"{lab}样本{i}", "labels": [lab]} for i in range(3) for lab in labels]
    rows = [{"id": f"t{i}", **r} for i, r in enumerate(rows)]
    for split, part in (("train", rows), ("dev", rows[::2])):
        (tmp_path / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part),
                                                 encoding="utf-8")
    tiny_clf.meta = {**tiny_clf.meta, "training": {"train_file": str(tmp_path / "train.jsonl"),
                                                   "dev_file": str(tmp_path / "dev.jsonl"), "seed": 13}}
    tiny_clf.save_pretrained(tmp_path / "bert")


def test_combine_chooses_the_mix_on_dev_and_writes_a_working_model(tmp_path, tiny_clf):
    from training import combine

    _combine_inputs(tmp_path, tiny_clf)
    report = combine.combine(str(tmp_path / "bert"), str(tmp_path / "out"), test=str(tmp_path / "dev.jsonl"))
    assert "windows" not in report  # the recipe names no real corpus: whole posts
    weights = [r["weight"] for r in report["grid"]]
    assert weights[0] == 0.0 and weights[-1] == 1.0
    assert report["combined"]["weight"] < 1.0  # a combination, never the baseline alone
    best = max(r["dev_macro_f1"] for r in report["grid"] if r["weight"] < 1.0)
    assert report["combined"]["dev_macro_f1"] == best
    # a random BERT is useless: the n-gram side must carry the mix
    assert report["combined"]["dev_macro_f1"] > report["bert"]["dev_macro_f1"]
    out = RumorClassifier.from_pretrained(tmp_path / "out")
    assert out.ngram is not None and out.ngram_weight == report["combined"]["weight"]
    assert out.predict(["鑫达科技老板跑路1倒闭"])[0].labels == ["rumor"]
    assert "## Combination" in (tmp_path / "out" / "README.md").read_text(encoding="utf-8")


def test_windows_cover_the_text_and_keep_a_short_stretch_from_being_averaged_away():
    from rumorclf.ngram import CharNgramScorer

    vec, ovr = _fitted()
    scorer = CharNgramScorer.from_sklearn(vec, ovr)
    scorer.window, scorer.stride = 20, 5
    text = "今天天气不错出去走走" * 9 + "删帖500元一条"
    pieces = scorer.pieces(text)
    assert all(len(x) == 20 for x in pieces) and pieces[0] == text[:20] and pieces[-1] == text[-20:]
    assert all(text[i * 15:i * 15 + 20] == x for i, x in enumerate(pieces[:-1]))  # step = window - stride
    assert scorer.pieces("短文本") == ["短文本"]
    np.testing.assert_allclose(scorer.logits([text])[0],
                               np.max([scorer.logits([x])[0] for x in pieces], axis=0), rtol=1e-6)
    with pytest.raises(ValueError):
        CharNgramScorer.from_sklearn(vec, ovr).__class__(["a"], [1.0], [[1.0]], [0.0], window=10, stride=10)


def test_a_window_margin_scores_the_whole_text_or_a_window_over_it(tmp_path):
    from rumorclf.ngram import CharNgramScorer

    vec, ovr = _fitted()
    fitted = CharNgramScorer.from_sklearn(vec, ovr)
    both = CharNgramScorer.load(tmp_path, CharNgramScorer(fitted.vocab, fitted.idf, fitted.coef, fitted.intercept,
                                                          window=20, stride=5, window_margin=1.5).save(tmp_path))
    assert both.window_margin == 1.5  # survives saving
    whole = CharNgramScorer(both.vocab, both.idf, both.coef, both.intercept)  # the saved (fp16) weights
    windows = CharNgramScorer(both.vocab, both.idf, both.coef, both.intercept, window=20, stride=5)
    texts = ["今天天气不错出去走走" * 9 + "删帖500元一条", "删帖500元一条" * 6, "短文本"]
    expect = np.maximum(whole.logits(texts), windows.logits(texts) - 1.5)
    expect[2] = whole.logits(texts[2:])[0]  # a text no longer than a window is scored once
    np.testing.assert_allclose(both.logits(texts), expect, rtol=1e-6)
    # the margin matters: the long post's window beats its whole text by less than it, or more
    assert not np.allclose(both.logits(texts[:1]), whole.logits(texts[:1])) or \
        not np.allclose(both.logits(texts[:1]), windows.logits(texts[:1]) - 1.5)
    for bad in ({"window": 0, "window_margin": 1.0}, {"window": 20, "stride": 5, "window_margin": -1.0}):
        with pytest.raises(ValueError):
            CharNgramScorer(whole.vocab, whole.idf, whole.coef, whole.intercept, **bad)
    assert "window_margin" not in whole.config()  # old model directories read the same


def test_combine_tries_windows_at_a_margin_and_ships_what_it_measured(tmp_path, tiny_clf, monkeypatch):
    from training import combine

    _combine_inputs(tmp_path, tiny_clf)
    context = [f"今天的天气很好我们一起去公园散步吧第{i}天。顺便买了点水果回家。" * 3 for i in range(40)]
    monkeypatch.setattr(combine, "_embedding_context", lambda recipe, test_ex: context)
    report = combine.combine(str(tmp_path / "bert"), str(tmp_path / "out"), test=str(tmp_path / "dev.jsonl"))
    rows = report["windows"]["rows"]
    assert len(rows) == 1 + len(combine.WINDOW_GRID) * len(combine.MARGIN_GRID) and rows[0]["window"] == 0
    out = RumorClassifier.from_pretrained(tmp_path / "out")
    chosen = report["windows"]["chosen"]
    # embedded in long ordinary text the tiny model loses labels that a window keeps: one is chosen
    assert chosen and chosen["dev_macro_f1"] >= rows[0]["dev_macro_f1"]
    assert chosen["embedded_kept"] > rows[0]["embedded_kept"]
    assert out.ngram.window == chosen["window"]  # what was chosen is what ships
    w, t = report["combined"]["weight"], out.mix_temperature
    assert out.ngram.window_margin == pytest.approx(chosen["margin"] * t / w, rel=1e-5)
    assert report["combined"]["dev_macro_f1"] == chosen["dev_macro_f1"]


def test_choose_window_keeps_dev_and_takes_the_most_embedded_labels():
    from training.combine import choose_window

    whole = {"window": 0, "margin": None, "dev_macro_f1": 0.80, "embedded_kept": 0.40}
    rows = [whole, {"window": 64, "margin": 1.0, "dev_macro_f1": 0.79, "embedded_kept": 0.90},  # costs dev
            {"window": 64, "margin": 2.0, "dev_macro_f1": 0.80, "embedded_kept": 0.60},
            {"window": 126, "margin": 3.0, "dev_macro_f1": 0.81, "embedded_kept": 0.60},  # tie: larger margin
            {"window": 32, "margin": 4.0, "dev_macro_f1": 0.82, "embedded_kept": 0.30}]
    assert choose_window(rows) == rows[3]
    assert choose_window([whole, rows[1], rows[4]]) is None  # nothing keeps dev and more labels
