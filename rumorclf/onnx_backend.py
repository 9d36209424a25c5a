"""Moved to `rumorclf.backends.onnx` (issue 17); this name stays for existing imports."""

from .backends.onnx import ONNX_NAME, OnnxEncoder, export_onnx

__all__ = ["ONNX_NAME", "OnnxEncoder", "export_onnx"]
