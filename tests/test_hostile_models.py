"""Hostile and broken model directories: each is refused with a clear error, and nothing in it is
unpickled or executed (every payload below writes a marker file when it runs; the marker must never
appear).

The payloads are checked to be armed (they do write the marker when loaded unsafely) before they
are used, so a passing test is not a payload that silently does nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rumorclf import ModelDirError, RumorClassifier, TaxonomyError
from rumorclf.cli import app

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """One intra-op thread: on a shared, busy machine torch's thread pool spins far more than it works."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class _Payload:
    """Unpickling this runs `exec`, which writes the marker file."""

    def __init__(self, marker: Path):
        self.code = f"open({str(marker)!r}, 'w').write('pwned')"

    def __reduce__(self):
        return (exec, (self.code,))


def _write_pickle(path: Path, marker: Path) -> None:
    """A torch checkpoint (zip + pickle) whose unpickling writes `marker`."""
    import torch

    torch.save({"bert.embeddings.word_embeddings.weight": _Payload(marker)}, path)


def _evil_module(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('pwned')\n"


@pytest.fixture
def marker(tmp_path):
    m = tmp_path / "PWNED"
    yield m
    assert not m.exists(), "a payload from the model directory was executed"


@pytest.fixture(scope="module")
def payloads_are_armed(tmp_path_factory):
    """Prove that the pickle and the module really do write their marker when loaded unsafely."""
    import importlib.util

    import torch

    d = tmp_path_factory.mktemp("armed")
    m1, m2 = d / "m1", d / "m2"
    _write_pickle(d / "x.bin", m1)
    torch.load(d / "x.bin", weights_only=False)
    assert m1.exists()
    (d / "evil_probe.py").write_text(_evil_module(m2), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("evil_probe", d / "evil_probe.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert m2.exists()
    return True


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    d = tmp_path / "model"
    shutil.copytree(tiny_model_dir, d)
    return d


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


def _refused(path, exc=ModelDirError, *words):
    with pytest.raises(exc) as ei:
        RumorClassifier.from_pretrained(path)
    msg = str(ei.value)
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in error message: {msg}"
    assert str(path) in msg or path.name in msg, f"the message should name the directory: {msg}"
    return msg


def _cli_refuses(path, *words):
    """The CLI turns the same refusal into exit code 2 with the message, not a traceback."""
    res = runner.invoke(app, ["info", "-m", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    flat = " ".join(res.output.split())
    for w in words:
        assert w.lower() in flat.lower(), flat


# ----------------------------------------------------------------------------- pickles and remote code

def test_pickle_only_weights_are_refused_unloaded(model_copy, marker, payloads_are_armed):
    (model_copy / "model.safetensors").unlink()
    _write_pickle(model_copy / "pytorch_model.bin", marker)
    _refused(model_copy, ModelDirError, "pickle", "safetensors", "pytorch_model.bin")
    _cli_refuses(model_copy, "pickle", "safetensors")


@pytest.mark.parametrize("name", ["model.pt", "model.ckpt", "weights.pkl"])
def test_other_pickle_suffixes_are_refused(model_copy, marker, payloads_are_armed, name):
    (model_copy / "model.safetensors").unlink()
    _write_pickle(model_copy / name, marker)
    _refused(model_copy, ModelDirError, "pickle", name)


def test_bare_pickle_directory_is_refused(tmp_path, marker, payloads_are_armed):
    """Only a config and a pickle: still refused on the pickle, not loaded."""
    d = tmp_path / "bare"
    d.mkdir()
    _dump(d / "config.json", {"model_type": "bert"})
    _write_pickle(d / "pytorch_model.bin", marker)
    _refused(d, ModelDirError, "pickle", "safetensors")


def test_pickle_disguised_as_safetensors_fails_without_unpickling(model_copy, marker, payloads_are_armed, tmp_path):
    _write_pickle(model_copy / "model.safetensors", marker)
    with pytest.raises(Exception) as ei:
        RumorClassifier.from_pretrained(model_copy)
    assert str(ei.value)
    src = tmp_path / "in.txt"
    src.write_text("一条\n", encoding="utf-8")
    res = runner.invoke(app, ["classify", str(src), "-o", str(tmp_path / "o.jsonl"), "-m", str(model_copy),
                              "--no-progress"])
    assert res.exit_code != 0



def test_safetensors_index_pointing_at_a_pickle_is_refused_before_loading(model_copy, marker, payloads_are_armed):
    """model.safetensors.index.json passes the safetensors check, but its weight_map names a pickle
    shard: the validator must refuse the directory, not hand the pickle to torch.load."""
    (model_copy / "model.safetensors").unlink()
    _write_pickle(model_copy / "pytorch_model.bin", marker)
    _dump(model_copy / "model.safetensors.index.json",
          {"metadata": {}, "weight_map": {"bert.embeddings.word_embeddings.weight": "pytorch_model.bin"}})
    _refused(model_copy, ModelDirError, "pytorch_model.bin")


@pytest.mark.parametrize("key, value", [
    ("auto_map", {"AutoModelForSequenceClassification": "evil.EvilModel", "AutoConfig": "evil.EvilConfig"}),
    ("custom_pipelines", {"text-classification": {"impl": "evil.EvilPipeline", "pt": ["AutoModel"]}}),
])
def test_remote_code_hooks_are_refused(model_copy, marker, payloads_are_armed, key, value):
    (model_copy / "evil.py").write_text(_evil_module(marker), encoding="utf-8")
    cfg = _json(model_copy / "config.json")
    cfg[key] = value
    _dump(model_copy / "config.json", cfg)
    _refused(model_copy, ModelDirError, "remote code", key)
    _cli_refuses(model_copy, "remote code")


def test_tokenizer_auto_map_is_never_executed(model_copy, marker, payloads_are_armed):
    """tokenizer_config.json can name remote code too; it must not run (refusing is also fine)."""
    (model_copy / "evil.py").write_text(_evil_module(marker) + "from transformers import BertTokenizerFast\n"
                                        "class EvilTok(BertTokenizerFast):\n    pass\n", encoding="utf-8")
    tc = _json(model_copy / "tokenizer_config.json")
    tc["auto_map"] = {"AutoTokenizer": [None, "evil.EvilTok"]}
    _dump(model_copy / "tokenizer_config.json", tc)
    try:
        clf = RumorClassifier.from_pretrained(model_copy)
    except ModelDirError:
        return
    assert type(clf.tokenizer).__module__.startswith("transformers"), type(clf.tokenizer)


# ----------------------------------------------------------------------------- incomplete or broken directories

def test_missing_directory(tmp_path):
    _refused(tmp_path / "nope", ModelDirError, "not found")


def test_a_file_instead_of_a_directory(tmp_path):
    f = tmp_path / "model.safetensors"
    f.write_bytes(b"\0" * 16)
    _refused(f, ModelDirError, "not found")


def test_missing_tokenizer_files(model_copy):
    for name in ("tokenizer.json", "vocab.txt"):
        (model_copy / name).unlink(missing_ok=True)
    _refused(model_copy, ModelDirError, "tokenizer")
    _cli_refuses(model_copy, "tokenizer")


def test_missing_config_json(model_copy):
    (model_copy / "config.json").unlink()
    _refused(model_copy, ModelDirError, "config.json")
    _cli_refuses(model_copy, "config.json")


@pytest.mark.parametrize("content", [b"{not json", b"", b'{"model_type": "bert",}', b"\xff\xfe{}"])
def test_config_json_that_is_not_json(model_copy, content):
    (model_copy / "config.json").write_bytes(content)
    _refused(model_copy, ModelDirError, "config.json", "JSON")



@pytest.mark.parametrize("content", ["null", "42", "[]", '"text"'])
def test_config_json_that_is_not_an_object(model_copy, content):
    (model_copy / "config.json").write_text(content, encoding="utf-8")
    _refused(model_copy, ModelDirError, "config.json")


def test_missing_safetensors(model_copy):
    (model_copy / "model.safetensors").unlink()
    _refused(model_copy, ModelDirError, "model.safetensors")


def test_base_encoder_without_rumorclf_json(model_copy):
    (model_copy / "rumorclf.json").unlink()
    msg = _refused(model_copy, ModelDirError, "rumorclf.json", "base encoder")
    assert "train" in msg
    _cli_refuses(model_copy, "base encoder")


@pytest.mark.parametrize("content", ["{broken", "[]", '{"labels": []}'])
def test_rumorclf_json_broken(model_copy, content):
    (model_copy / "rumorclf.json").write_text(content, encoding="utf-8")
    _refused(model_copy, ModelDirError, "rumorclf.json")


# ----------------------------------------------------------------------------- labels

def test_taxonomy_in_rumorclf_json_differs_from_config_id2label(model_copy):
    cfg = _json(model_copy / "rumorclf.json")
    old = cfg["labels"][0]
    cfg["labels"][0] = "renamed_label"
    cfg["taxonomy"]["categories"][0]["id"] = "renamed_label"
    cfg["thresholds"]["renamed_label"] = cfg["thresholds"].pop(old)
    _dump(model_copy / "rumorclf.json", cfg)
    msg = _refused(model_copy, TaxonomyError, "renamed_label", old)
    assert "config.json" in msg


def test_config_id2label_in_another_order(model_copy):
    cfg = _json(model_copy / "config.json")
    a, b = cfg["id2label"]["0"], cfg["id2label"]["1"]
    cfg["id2label"]["0"], cfg["id2label"]["1"] = b, a
    cfg["label2id"] = {v: int(k) for k, v in cfg["id2label"].items()}
    _dump(model_copy / "config.json", cfg)
    _refused(model_copy, TaxonomyError, "order")



@pytest.mark.parametrize("change", ["reversed", "truncated", "renamed"])
def test_labels_list_of_rumorclf_json_differs_from_config_id2label(model_copy, change):
    """rumorclf.json's own `labels` list (used e.g. by the model card) must agree with config.json."""
    cfg = _json(model_copy / "rumorclf.json")
    labels = cfg["labels"]
    cfg["labels"] = {"reversed": labels[::-1], "truncated": labels[:3],
                     "renamed": ["renamed_label"] + labels[1:]}[change]
    _dump(model_copy / "rumorclf.json", cfg)
    _refused(model_copy, TaxonomyError)
