"""Evidence spans: they slice the original post, exist only for predicted labels, are sorted by a
weight in [0, 1] (the label's score for the span alone), follow the words the model actually
depends on, and all candidate spans go to the scorer in one batched call."""

import re

import numpy as np
import pytest

from rumorclf import RumorClassifier, Taxonomy
from rumorclf.explain import content_words, explain_predictions
from rumorclf.normalize import normalize
from tests.tiny import make_tiny_tokenizer

CHANGED_AND_PLAIN = [
    "鑫達科技老闆跑路了，工廠已經停工！",                    # traditional
    "鑫 达 科 技 老板跑路了 ，大家快转发",                    # spaced
    "鑫/达/科/技 要倒闭了！！看 https://x.cn/a?b=1 就知道",   # symbol-split + URL
    "#  鑫达科技  # 产品质量太差，假冒伪劣",                   # topic rewritten
    "ＡＢＣ品牌的客服电话是假的",                                # full-width
    "鑫达科技老板跑路了，工厂已经停工",                          # unchanged
]


def _check(post: str, pred, top_k: int = 3) -> None:
    nt = normalize(post)
    words = content_words(nt.text)
    # where clean words start and end in the original (a "[URL]" word ends where the URL ends)
    starts = {nt.offsets[s] for s, _ in words}
    ends = {nt.offsets[e - 1] + 1 if nt.text[s:e] != "[URL]"
            else nt.offsets[s] + len(re.match(r"\S+", post[nt.offsets[s]:]).group()) for s, e in words}
    assert set(pred.evidence) == set(pred.labels)
    for spans in pred.evidence.values():
        assert len(spans) <= top_k
        weights = [s["weight"] for s in spans]
        assert all(isinstance(w, float) and w > 0 for w in weights), spans
        assert weights == sorted(weights, reverse=True)
        for s in spans:
            assert set(s) == {"text", "start", "end", "weight"}
            assert 0 <= s["start"] < s["end"] <= len(post)
            assert post[s["start"]:s["end"]] == s["text"], (post, s)
            # the span runs from the start of a clean word to the end of one, mapped to the original
            assert s["start"] in starts and s["end"] in ends, (post, s)


# ------------------------------------------------------------------------------ tiny random model
def test_tiny_model_offsets_slice_original(tiny_clf):
    preds = tiny_clf.predict(CHANGED_AND_PLAIN, threshold=0.0, explain=True)
    assert [p.normalized for p in preds] == [True] * 5 + [False]
    n_spans = 0
    for post, pred in zip(CHANGED_AND_PLAIN, preds):
        assert pred.labels == tiny_clf.labels  # threshold 0: every label is predicted
        _check(post, pred)
        n_spans += sum(len(v) for v in pred.evidence.values())
    assert n_spans > 0  # the random model does depend on some words


def test_tiny_model_evidence_only_for_predicted_labels(tiny_clf):
    keep = tiny_clf.labels[:2]
    thr = {lab: (0.0 if lab in keep else 1.0) for lab in tiny_clf.labels}
    posts = ["鑫達科技老闆跑路了", "", "   "]
    preds = tiny_clf.predict(posts, threshold=thr, explain=True)
    assert preds[0].labels == keep and set(preds[0].evidence) == set(keep)
    _check(posts[0], preds[0])
    assert preds[1].evidence == {} and preds[2].evidence == {}
    none = tiny_clf.predict(posts[:1], threshold=1.0, explain=True)[0]
    assert none.labels == [] and none.evidence == {}
    assert "evidence" not in tiny_clf.predict(posts[:1])[0].to_dict()


# ------------------------------------------------------------------------------ keyword model
class KeywordEncoder:
    """A fake encoder whose logits depend on known tokens: rumor on 跑, 路 and [URL];
    product_smear on 假. Every other label is always off."""

    name = "keyword"

    def __init__(self, tokenizer, labels):
        ids = tokenizer.convert_tokens_to_ids
        self.run, self.road, self.url, self.fake = ids("跑"), ids("路"), ids("[URL]"), ids("假")
        self.rumor, self.smear = labels.index("rumor"), labels.index("product_smear")
        self.n = len(labels)
        self.calls = 0

    def __call__(self, input_ids, attention_mask):
        self.calls += 1
        logits = np.full((len(input_ids), self.n), -6.0, dtype=np.float32)
        live = attention_mask.astype(bool)
        count = lambda tok: ((input_ids == tok) & live).sum(axis=1)
        logits[:, self.rumor] = -4.0 + 3.0 * count(self.run) + 3.0 * count(self.road) + 2.0 * count(self.url)
        logits[:, self.smear] = -4.0 + 6.0 * count(self.fake)
        return logits


@pytest.fixture()
def kw_clf():
    tok = make_tiny_tokenizer()
    tax = Taxonomy.load(None)
    clf = RumorClassifier(None, tok, tax, max_length=32, stride=8,
                          encoder=KeywordEncoder(tok, tax.labels))
    calls = []
    score = clf.score_normalized

    def counting_score(texts, batch_size=32, progress=None, logits=False):
        calls.append(list(texts))
        return score(texts, batch_size, progress, logits)

    clf.score_normalized = counting_score
    clf.score_calls = calls
    return clf


def test_evidence_follows_the_words_the_model_uses(kw_clf):
    posts = ["鑫達科技老闆跑 路了，工廠已經停工！",   # traditional + space inside the evidence
             "这个牌子的货是假的",
             "今天天气不错"]
    preds = kw_clf.predict(posts, explain=True)
    assert preds[0].labels == ["rumor"] and preds[1].labels == ["product_smear"] and preds[2].labels == []
    rumor = preds[0].evidence["rumor"]
    assert rumor[0]["text"] == "跑 路"                          # 跑 and 路 together: one span, scored alone
    assert (rumor[0]["start"], rumor[0]["end"]) == (6, 9)
    assert rumor[0]["weight"] > 0.5
    assert len(rumor) == 1              # no other span reaches the threshold (0.5) by itself
    assert preds[1].evidence == {"product_smear": [preds[1].evidence["product_smear"][0]]}
    assert preds[1].evidence["product_smear"][0]["text"] == "假"
    assert preds[2].evidence == {}
    for post, pred in zip(posts, preds):
        _check(post, pred)


def test_weak_spans_with_a_lower_floor(kw_clf):
    post = "跑路了 看 https://x.cn/abc?d=1  快"
    norms, preds = [normalize(post)], kw_clf.predict([post])
    explain_predictions(kw_clf, norms, preds, None, min_weight=0.0)
    spans = preds[0].evidence["rumor"]
    assert spans[0]["text"] == "跑路" and len(spans) == 3
    assert any(s["text"].endswith("https://x.cn/abc?d=1") for s in spans)  # a URL span covers the whole URL
    _check(post, preds[0])


def test_all_candidate_spans_scored_in_one_call(kw_clf):
    posts = ["鑫达科技老板跑路了", "鑫達科技老闆跑路了！", "今天天气不错", "这货是假的"]
    kw_clf.predict(posts, explain=True)
    assert len(kw_clf.score_calls) == 2  # the prediction itself + one call for all candidates
    scored = kw_clf.score_calls[1]
    expected = []
    for p in posts:
        if p == "今天天气不错":
            continue
        clean = normalize(p).text
        words = content_words(clean)
        expected += [clean[words[i][0]:words[i + n - 1][1]] for n in (1, 2, 3) for i in range(len(words) - n + 1)]
    assert scored == list(dict.fromkeys(expected))  # runs of 1-3 words, each distinct text once


def test_max_words_groups_long_posts_and_covers_them(kw_clf):
    post = "，".join(["鑫达科技老板跑路了", "工厂停工", "大家快转发", "产品质量太差", "客服电话打不通",
                     "官方不回应", "股票要完了", "这是真的"])
    norms = [normalize(post)]
    preds = kw_clf.predict([post])
    assert preds[0].labels == ["rumor"]
    kw_clf.score_calls.clear()
    explain_predictions(kw_clf, norms, preds, None, top_k=2, max_words=5)
    (scored,) = kw_clf.score_calls
    assert len(scored) <= 5 + 4 + 3  # runs of 1-3 of the 5 groups
    clean = norms[0].text
    words = content_words(clean)
    groups = scored[:5]  # the single-group candidates come first
    assert all(any(clean[s:e] in g for g in groups) for s, e in words)  # every word is in a group
    ev = preds[0].evidence["rumor"]
    assert len(ev) >= 1 and "跑路" in ev[0]["text"]
    _check(post, preds[0], top_k=2)


def test_max_variants_splits_calls(kw_clf):
    posts = ["鑫达科技老板跑路了"] * 3
    norms = [normalize(p) for p in posts]
    preds = kw_clf.predict(posts)
    kw_clf.score_calls.clear()
    explain_predictions(kw_clf, norms, preds, None, max_variants=1)
    assert len(kw_clf.score_calls) == 3  # one post per call at least
    assert [p.evidence for p in preds] == [preds[0].evidence] * 3


def test_bad_arguments(kw_clf):
    with pytest.raises(ValueError):
        explain_predictions(kw_clf, [normalize("x")], [], None)
    preds = kw_clf.predict(["跑路"])
    with pytest.raises(ValueError):
        explain_predictions(kw_clf, [normalize("跑路")], preds, None, top_k=0)
