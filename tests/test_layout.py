"""The layout rules of issue 17, checked on the source (docs/architecture.md, "Rules"):

- no import cycle between the modules of `rumorclf/` (every import counts, also the lazy ones
  inside functions: a lazy import is still a dependency);
- no module of the inference package imports `training` (or `rumorclf.training`, should training
  move under the package's namespace);
- no module imports `rumorclf.cli` but `rumorclf.__main__`: the command line sits on top;
- no .py file under `rumorclf/` is over MAX_LINES lines;
- importing the package, its CLI and its batch and analysis modules loads none of the optional
  extras (Ray, ONNX Runtime, pypinyin, the report's libraries) and nothing of training.

The graph is built with `ast`, so the checker is tested too, on small packages that break each rule.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rumorclf"
MAX_LINES = 400
TRAINING = ("training", "rumorclf.training")
CLI = "rumorclf.cli"
CLI_IMPORTERS = {"rumorclf.__main__", "rumorclf.cli"}
EXTRAS = ("ray", "onnxruntime", "onnx", "pypinyin", "jinja2", "altair", "vl_convert", "plotly",
          "training", "datasets", "sklearn", "matplotlib")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(path: Path, root: Path) -> set[str]:
    """Every module `path` imports (absolute names), wherever the import statement is."""
    name = module_name(path, root)
    is_package = path.name == "__init__.py"
    modules = {module_name(p, root) for p in root.rglob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, is_package, node.level, node.module)
            for alias in node.names:  # `from . import run`: the module run, when it is one
                sub = f"{target}.{alias.name}" if target else alias.name
                found.add(sub if sub in modules else target)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports."""
    top = root.name
    graph = {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}
    return {m: {t for t in targets if (t == top or t.startswith(top + ".")) and t != m and t in graph}
            for m, targets in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def violations(root: Path, max_lines: int = MAX_LINES) -> list[str]:
    """Every broken layout rule in the package at `root`, one line each."""
    problems = [f"import cycle: {' <-> '.join(c)}" for c in cycles(import_graph(root))]
    top = root.name
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        if not any(name == t or name.startswith(t + ".") for t in TRAINING):
            for target in sorted(imports_of(path, root)):
                if any(target == t or target.startswith(t + ".") for t in TRAINING):
                    problems.append(f"{name} imports {target}: inference never imports training")
        if name not in {f"{top}.__main__", f"{top}.cli"}:
            for target in sorted(imports_of(path, root)):
                if target == f"{top}.cli" or target.startswith(f"{top}.cli."):
                    problems.append(f"{name} imports {target}: only {top}.__main__ may import the CLI")
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > max_lines:
            problems.append(f"{path.relative_to(root.parent)} has {n} lines (at most {max_lines})")
    return problems


def test_rumorclf_keeps_the_layout_rules():
    assert violations(PACKAGE) == []


def test_optional_extras_and_training_are_not_imported_on_import():
    code = ("import sys, json, rumorclf, rumorclf.cli, rumorclf.batch, rumorclf.schema, rumorclf.io, "
            "rumorclf.analysis, rumorclf.analysis.targets, rumorclf.analysis.explain, rumorclf.backends, "
            "rumorclf.batchio, rumorclf.distributed, rumorclf.targets, rumorclf.explain, rumorclf.onnx_backend; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in %r)))" % (EXTRAS,))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


# ------------------------------------------------------------------ the checker itself can fail
def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "rumorclf"
    for rel, text in {"__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("files, expected", [
    ({"a.py": "from . import b\n", "b.py": "def f():\n    from .a import g\n"}, "import cycle: rumorclf.a <-> rumorclf.b"),
    ({"core.py": "from .backends.onnx import X\n", "backends/__init__.py": "",
      "backends/onnx.py": "from ..core import Y\n"}, "import cycle: rumorclf.backends.onnx <-> rumorclf.core"),
    ({"x.py": "def f():\n    __import__('os')\n    import training.train\n"}, "rumorclf.x imports training.train"),
    ({"x.py": "from rumorclf.training import data\n"}, "rumorclf.x imports rumorclf.training"),
    ({"lib.py": "from .cli import load_watchlist\n", "cli.py": ""}, "rumorclf.lib imports rumorclf.cli"),
    ({"big.py": "x = 1\n" * (MAX_LINES + 1)}, f"rumorclf/big.py has {MAX_LINES + 1} lines"),
])
def test_the_checker_finds_each_broken_rule(tmp_path, files, expected):
    found = violations(_package(tmp_path, files))
    assert any(p.startswith(expected) for p in found), found


def test_the_checker_allows_what_the_rules_allow(tmp_path):
    root = _package(tmp_path, {
        "__main__.py": "from .cli import main\n", "cli.py": "from .batch import run\n",
        "batch/__init__.py": "from .run import go\n", "batch/run.py": "from . import rows\n",
        "batch/rows.py": "import json\n", "training/__init__.py": "from ..batch import run\n",
    })
    assert violations(root) == []
