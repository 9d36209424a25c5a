"""Default inference threads follow the cores that are free (issue 16, point 11); the speed it
buys is measured by benchmarks/bench_threads.py, not here."""

import pytest

psutil = pytest.importorskip("psutil")

from rumorclf import _runtime  # noqa: E402


@pytest.mark.parametrize("busy, physical, expected", [
    ([0.0, 0.0], 2, 2),        # an idle 2-core machine: both cores
    ([100.0, 5.0], 2, 1),      # one core taken by another process: one thread
    ([100.0, 100.0], 2, 1),    # both taken: still one thread, never zero
    ([0.0, 0.0, 0.0, 0.0], 2, 2),  # four idle logical CPUs on two physical cores: two
])
def test_default_threads_counts_idle_cores(monkeypatch, busy, physical, expected):
    monkeypatch.setattr(_runtime, "_allowed_cpus", lambda: list(range(len(busy))))
    monkeypatch.setattr(psutil, "cpu_percent", lambda interval, percpu: busy)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: physical if not logical else len(busy))
    assert _runtime.default_threads() == expected
