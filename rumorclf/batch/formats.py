"""File formats of a batch run: names, detection from the extension, "-" for stdin/stdout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "STDIO", "BatchIOError", "detect_format", "is_stdio", "output_format"]

FORMATS = ("jsonl", "csv", "txt", "parquet")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".txt": "txt",
        ".parquet": "parquet", ".pq": "parquet"}
STDIO = "-"  # as input: stdin; as output: stdout


class BatchIOError(Exception):
    """A problem with the command as a whole (not one record): bad format, missing column, refusing to clobber."""


def is_stdio(path) -> bool:
    return str(path) == STDIO


def detect_format(path: str | Path, given: str | None = None, option: str = "--format") -> str:
    """The format `given`, else the one the extension tells (JSONL for "-"); `option` is the
    command-line option the error message suggests."""
    if given:
        if given not in FORMATS:
            raise BatchIOError(f"unknown format {given!r}; choose from {', '.join(FORMATS)}")
        return given
    if is_stdio(path):
        return "jsonl"
    fmt = _EXT.get(Path(path).suffix.lower())
    if fmt is None:
        raise BatchIOError(f"cannot tell the format of {path} from its extension; pass {option}")
    return fmt


def output_format(path: Path, given: str | None = None) -> str:
    fmt = detect_format(path, given, option="--output-format")
    if fmt == "txt":
        raise BatchIOError("plain-text output cannot hold scores; write .jsonl, .csv or .parquet")
    if fmt == "parquet" and is_stdio(path):
        raise BatchIOError("Parquet cannot be written to stdout; write JSONL or CSV there, or name a .parquet file")
    return fmt
