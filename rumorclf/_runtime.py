"""Small runtime helpers shared by inference and training: CPU capabilities, threads."""

from __future__ import annotations

import os
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
    in `RumorClassifier.score_normalized` do the rest (see the README's Speed section). Costs well under 1 ms.
    """
    trim = _libc_malloc_trim()
    if trim is not None:
        trim(0)


def _allowed_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows: every CPU
        return list(range(os.cpu_count() or 1))


def free_cores(interval: float = 0.25) -> float:
    """How many of the CPUs this process may run on are idle now: the sum of their idle shares
    over `interval` seconds (psutil; call it while this process is idle, or it counts itself).
    Without psutil: the CPUs minus the 1-minute load average."""
    allowed = _allowed_cpus()
    try:
        import psutil
    except ImportError:
        return max(0.0, len(allowed) - os.getloadavg()[0])
    busy = psutil.cpu_percent(interval=interval, percpu=True)
    return sum(1 - busy[i] / 100 for i in allowed if i < len(busy))


def default_threads(interval: float = 0.25) -> int:
    """Intra-op threads for inference: the idle CPUs, rounded, at least 1 and at most the physical
    cores. Another busy process on the same cores makes torch's extra threads wait for it (each
    batch waits for its slowest thread), so on a loaded machine fewer threads run faster; see
    benchmarks/bench_threads.py for the measurement."""
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except ImportError:
        physical = None
    physical = min(physical or len(_allowed_cpus()), len(_allowed_cpus()))
    return max(1, min(physical, round(free_cores(interval))))
