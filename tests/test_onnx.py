import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from rumorclf import RumorClassifier  # noqa: E402
from rumorclf.cli import app  # noqa: E402

TEXTS = ["鑫达科技老板跑路了", "今天天气不错", "公司" * 200, "", "寧德時代 要完了"]


@pytest.fixture(scope="module")
def onnx_dirs(tiny_model_dir, tmp_path_factory):
    from typer.testing import CliRunner

    root = tmp_path_factory.mktemp("onnx")
    for name, extra in (("fp32", []), ("int8", ["--int8"])):
        res = CliRunner().invoke(app, ["export-onnx", str(tiny_model_dir), str(root / name), *extra])
        assert res.exit_code == 0, res.output
    return root


def test_onnx_fp32_agrees_with_torch(tiny_model_dir, onnx_dirs):
    ref = RumorClassifier.from_pretrained(tiny_model_dir, precision="fp32").predict_proba(TEXTS)
    onnx = RumorClassifier.from_pretrained(onnx_dirs / "fp32", backend="onnx")
    assert onnx.encoder.name == "onnx"
    np.testing.assert_allclose(onnx.predict_proba(TEXTS), ref, atol=1e-4)


def test_onnx_int8_close_to_torch(tiny_model_dir, onnx_dirs):
    ref = RumorClassifier.from_pretrained(tiny_model_dir, precision="fp32").predict_proba(TEXTS)
    got = RumorClassifier.from_pretrained(onnx_dirs / "int8", backend="onnx").predict_proba(TEXTS)
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() < 0.05


def test_onnx_backend_without_export_is_a_clear_error(tiny_model_dir):
    with pytest.raises(FileNotFoundError, match="export-onnx"):
        RumorClassifier.from_pretrained(tiny_model_dir, backend="onnx")
