"""Optional ONNX Runtime backend: export a model directory to ONNX (fp32 or int8) and run it.

    rumorclf export-onnx MODEL_DIR OUT_DIR [--int8]
    RumorClassifier.from_pretrained(OUT_DIR, backend="onnx")

OUT_DIR is a complete model directory (the original files copied) plus `model.onnx`, so the same
directory also loads with the torch backend. Needs the `onnx` extra (onnxruntime, onnx), imported
only when used. This module does not import the classifier: the classifier calls it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..modeldir import CONFIG_NAME, read_model_config, validate_model_dir
from ..taxonomy import Taxonomy

__all__ = ["ONNX_NAME", "OnnxEncoder", "export_onnx"]

ONNX_NAME = "model.onnx"


class OnnxEncoder:
    """Runs model.onnx with ONNX Runtime on padded id batches; returns float32 logits."""

    name = "onnx"

    def __init__(self, session):
        self.session = session
        self.inputs = {i.name for i in session.get_inputs()}

    @classmethod
    def from_model_dir(cls, path: str | Path, threads: int | None = None) -> OnnxEncoder:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError("the ONNX backend needs onnxruntime: pip install 'rumorclf[onnx]'") from None
        file = Path(path) / ONNX_NAME
        if not file.exists():
            raise FileNotFoundError(f"{file} not found: export it first with `rumorclf export-onnx {path} OUT`")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        return cls(ort.InferenceSession(str(file), opts, providers=["CPUExecutionProvider"]))

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        return self.session.run(["logits"], feed)[0].astype(np.float32)


def export_onnx(model_dir: str | Path, out_dir: str | Path, int8: bool = False, opset: int = 17) -> Path:
    """Export a rumorclf model directory to OUT_DIR/model.onnx (fp32, or int8 dynamic quantization)."""
    import torch

    from .torch import load_torch_model

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    validate_model_dir(model_dir)  # the checks RumorClassifier.from_pretrained makes
    cfg = read_model_config(model_dir)
    Taxonomy.from_dict(cfg["taxonomy"]).check_model_labels(cfg["labels"], where=f"{model_dir / CONFIG_NAME}")
    model = load_torch_model(model_dir)
    if out_dir.resolve() != model_dir.resolve():
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(model_dir, out_dir, ignore=shutil.ignore_patterns("*.onnx"))
    model = model.float().eval()
    model.config.return_dict = False

    class Wrapper(torch.nn.Module):  # fixed signature: ids + mask -> logits
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask)[0]

    ids = torch.ones((2, 16), dtype=torch.long)
    fp32_path = out_dir / (ONNX_NAME if not int8 else "model.fp32.onnx")
    torch.onnx.export(Wrapper(model), (ids, torch.ones_like(ids)), str(fp32_path),
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch"}},
                      opset_version=opset, dynamo=False)
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32_path), str(out_dir / ONNX_NAME), weight_type=QuantType.QInt8)
        fp32_path.unlink()
    cfg_path = out_dir / CONFIG_NAME
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["onnx"] = {"file": ONNX_NAME, "quantization": "int8-dynamic" if int8 else "none", "opset": opset}
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=1), encoding="utf-8")
    return out_dir / ONNX_NAME
