"""The indicator report in a real browser: headless Chromium (Debian's package) opens the
generated file from disk with the network off; every chart draws, the top-posts table is there,
no console error, and the same report with its inlined chart library broken is caught."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rumorclf.report import build_report
from tests.test_report import classified  # noqa: F401  (the fixture)

# ----------------------------------------------------------------------------- headless browser
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--enable-logging=stderr", "--v=0",
                  # no network at view time: every host name fails to resolve
                  "--host-resolver-rules=MAP * ~NOTFOUND"]


def _chromium() -> str:
    exe = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
    if not exe:
        pytest.skip("chromium is not installed, so the report is not rendered in a headless "
                    "browser; install it with `apt-get install chromium` (Debian/Ubuntu)")
    return exe


def _run_chromium(exe, tmp_path: Path, page: Path, *extra) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp_path)})


def _console_errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]


def _chart_failures(dom: str) -> list[str]:
    """What is wrong with the charts in a rendered DOM ([] when every chart drew)."""
    bad = []
    if 'data-charts="ok"' not in dom:
        bad.append("the page did not report its charts drawn (body data-charts != ok)")
    if 'id="chart-error"' in dom:
        bad.append("the page shows its chart error: "
                   + re.search(r'id="chart-error">([^<]*)', dom).group(1))
    chunks = dom.split('data-chart="')[1:]
    if len(chunks) != 4:
        bad.append(f"{len(chunks)} chart boxes, expected 4")
    for chunk in chunks:
        name = chunk.split('"', 1)[0]
        chunk = chunk.split("</section>", 1)[0]
        if 'data-rendered="1"' not in chunk.split(">", 1)[0] or "<svg" not in chunk \
                or "role-mark" not in chunk:
            bad.append(f"chart {name}: no drawn SVG marks")
    return bad


def test_renders_in_headless_chromium(classified, tmp_path):
    exe = _chromium()
    # the console check must be able to fail: a page with a JS error is caught
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>nope();</script>", encoding="utf-8")
    r = _run_chromium(exe, tmp_path, bad, "--dump-dom")
    assert any("Uncaught ReferenceError" in ln for ln in _console_errors(r.stderr)), r.stderr[-2000:]
    # ... and the browser is offline: a fetch from the page fails
    net = tmp_path / "net.html"
    net.write_text('<!DOCTYPE html><script>fetch("https://example.com/").then(() => '
                   'console.log("ONLINE"), (e) => console.log("OFFLINE " + e))</script>',
                   encoding="utf-8")
    r = _run_chromium(exe, tmp_path, net, "--dump-dom", "--virtual-time-budget=5000")
    assert "OFFLINE" in r.stderr and "ONLINE" not in r.stderr.replace("OFFLINE", ""), r.stderr[-2000:]

    agg = build_report(classified, tmp_path / "report.html")
    page = Path(agg["html"])
    shot = tmp_path / "shot.png"
    r = _run_chromium(exe, tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000",
                      "--hide-scrollbars", "--virtual-time-budget=10000")
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _console_errors(r.stderr) == []
    # the DOM: every chart drew SVG marks (the trend with its brush, the category chart with its
    # drop-down), the sections and the top-posts table are there, the post's <script> is text
    r = _run_chromium(exe, tmp_path, page, "--dump-dom", "--virtual-time-budget=10000")
    assert r.returncode == 0, r.stderr[-2000:]
    assert _console_errors(r.stderr) == []
    dom = r.stdout
    assert _chart_failures(dom) == []
    assert "brush_brush" in dom and 'class="vega-bindings"' in dom
    assert dom.count("<section") >= 5 and dom.count("<mark>") >= 7
    assert '<table id="top-posts">' in dom and dom.count('<tr data-label="') == 10
    assert "<script>alert" not in dom.lower() and "&lt;script&gt;alert" in dom

    # ... and the check fails when the charts do not draw: the same report with its inlined
    # chart library broken shows its error marker and no chart
    broken = tmp_path / "broken.html"
    html = page.read_text(encoding="utf-8")
    assert html.count("window.vegaEmbed=") == 1
    broken.write_text(html.replace("window.vegaEmbed=", "window.vegaEmbedX="), encoding="utf-8")
    r = _run_chromium(exe, tmp_path, broken, "--dump-dom", "--virtual-time-budget=10000")
    failures = _chart_failures(r.stdout)
    assert len(failures) == 6 and "图表库未加载" in failures[1], failures
