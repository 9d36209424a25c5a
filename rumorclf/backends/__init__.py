"""Encoders: what turns padded token-id batches into logits. The classifier calls one through
the small `Encoder` protocol and never imports a backend's library itself.

    torch  `TorchEncoder` (backends/torch.py): the Hugging Face model, bf16 autocast where fast
    onnx   `OnnxEncoder` (backends/onnx.py): model.onnx on ONNX Runtime (the `onnx` extra),
           and `export_onnx`, which writes it

`load_encoder(name, path, ...)` loads one from a model directory; backends are imported only
when asked for, so the core needs no onnxruntime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["BACKENDS", "Encoder", "load_encoder"]

BACKENDS = ("torch", "onnx")


@runtime_checkable
class Encoder(Protocol):
    """Padded int64 ids and attention mask, both (rows, width) -> float32 logits (rows, n_labels)."""

    name: str

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


def load_encoder(name: str, path: str | Path, *, device: str = "cpu", precision: str = "auto",
                 threads: int | None = None):
    """(torch model or None, Encoder) for the model directory `path` (validated by the caller).

    The torch model is returned too: the classifier saves and exports it, and checks its labels."""
    if name == "onnx":
        from .onnx import OnnxEncoder

        return None, OnnxEncoder.from_model_dir(path, threads=threads)
    if name == "torch":
        from .torch import TorchEncoder, load_torch_model

        model = load_torch_model(path)
        return model, TorchEncoder(model, device, precision)
    raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {name!r}")
