"""Small runtime helpers shared by inference and training: CPU capabilities, threads."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def bf16_fast_on_cpu() -> bool:
    """True when this CPU has native bf16 matrix instructions (AVX512-BF16 or AMX).

    On other CPUs bf16 autocast is emulated and slower than fp32, so callers fall back to fp32.
    """
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # older torch or no oneDNN: be conservative
        return False


def autocast_context(device: str, enabled: bool | None = None):
    """bf16 autocast where it is fast (CUDA, or a CPU with native bf16), else a no-op context.

    `enabled=None` decides automatically; True/False forces it.
    """
    import contextlib

    import torch

    if enabled is None:
        enabled = device.startswith("cuda") or (device == "cpu" and bf16_fast_on_cpu())
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)


@lru_cache(maxsize=1)
def _libc_malloc_trim():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows): nothing to do
        return None


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc `malloc_trim`); a no-op elsewhere.

    Called between batches so a long run's RSS stays near its working set; the fixed batch shapes
    in `RumorClassifier._score` do the rest (see the README's Speed section). Costs well under 1 ms.
    """
    trim = _libc_malloc_trim()
    if trim is not None:
        trim(0)
