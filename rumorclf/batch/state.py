"""Resume state of a batch run: the commit point, the fingerprint of a run, cleaning up.

After each chunk the output and errors files are flushed and fsynced, then the state file
(`OUTPUT.progress.json`) records their byte lengths and the records they cover: writing it is the
commit point. A re-run of the same command (same fingerprint) truncates any half-written tail and
continues after the last commit.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .formats import BatchIOError

__all__ = ["STATE_SUFFIX", "run_fingerprint"]

STATE_SUFFIX = ".progress.json"


def run_fingerprint(model, *, threshold=None, backend: str = "torch", explain: bool = False,
                    watchlist=None) -> dict:
    """What a run's output depends on besides its input file: a state file written under another
    fingerprint is a different run and is not resumed. The same for every engine."""
    return {"model": str(model), "threshold": threshold, "backend": backend, "explain": explain,
            "watchlist": str(watchlist) if watchlist else None}


def _write_state(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _truncate(path: Path, size: int) -> None:
    if path.exists():
        with open(path, "r+b") as f:
            f.truncate(size)


def _remove(*paths: Path | None) -> None:
    for p in paths:
        if p is None:
            continue
        if p.is_dir():
            for q in p.iterdir():
                q.unlink()
            p.rmdir()
        elif p.exists():
            p.unlink()


@dataclass
class _Files:
    """Where one run writes: output, errors and state (None for a pipe run, which keeps no state)."""

    out: Path | None           # None: stdout
    errors: Path | None        # None: stderr
    state: Path | None
    parts: Path | None = None  # the part files of a Parquet output


def _existing_state(files: _Files, fp: dict | None, overwrite: bool) -> dict | None:
    """The state of an unfinished (or finished, not yet cleaned) run to continue; None to start
    afresh. Refuses to clobber a file that is not such a run unless `overwrite`."""
    out = files.out
    if overwrite or out is None:
        return None
    if files.state is not None and files.state.exists():
        state = json.loads(files.state.read_text(encoding="utf-8"))
        if state.get("fingerprint") == fp:
            return state
        if state.get("records_done", 0) > 0 or state.get("complete"):
            raise BatchIOError(f"{out} holds a run of a different command or input "
                               f"(see {files.state}); re-run that command, or pass --overwrite to start over")
        return None  # a run stopped before its first commit: nothing to keep
    if out.exists() or (files.parts is not None and files.parts.exists()):
        how = "" if files.state is not None else " (reading stdin, a run cannot resume)"
        raise BatchIOError(f"{out} exists{how}; pass --overwrite to replace it")
    return None


def _clean_finish(files: _Files, state: dict) -> list[str]:
    """After the final state is written: drop what a finished run no longer needs (parts, the
    state file, an empty errors file). Returns the files removed, for the summary."""
    removed = []
    _remove(files.parts)
    if state["errors"] == 0 and files.errors is not None and files.errors.exists():
        _remove(files.errors)
        removed.append(str(files.errors))
    if files.state is not None and files.state.exists():
        _remove(files.state)
        removed.append(str(files.state))
    return removed
