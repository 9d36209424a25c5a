"""Streaming readers of a batch run's input: one `Record` per input record, malformed ones included.

Readers take a path or an open binary stream (stdin). A malformed record (bad JSON, not an object,
no text field, non-string text, invalid UTF-8, a CSV row with the wrong number of fields) is a
`Record` with `error` set, never an exception; a problem with the input as a whole (a CSV or
Parquet file without the text column) raises `BatchIOError`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..io import iter_lines, open_binary, read_jsonl as _read_json_lines
from .formats import BatchIOError

__all__ = ["READERS", "Record", "count_records", "read_csv", "read_jsonl", "read_parquet", "read_txt"]


@dataclass
class Record:
    line: int               # 1-based line (jsonl/txt), row (csv, header excluded) or row index + 1 (parquet)
    data: dict | None       # all input fields; None for a malformed record
    text: str | None        # the post to classify
    error: str | None = None
    raw: str = ""           # the raw line, for the errors file


def _name(source) -> str:
    """How messages name an input: its path, or <stdin>."""
    return str(source) if isinstance(source, (str, Path)) else "<stdin>"


def _preview(raw: bytes | str, limit: int = 300) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    return raw[:limit]


def _text_of(data: dict, field: str) -> tuple[str | None, str | None]:
    if field not in data:
        return None, f"missing field {field!r}"
    value = data[field]
    if not isinstance(value, str):
        return None, f"field {field!r} is {type(value).__name__ if value is not None else 'null'}, expected a string"
    return value, None


def read_jsonl(source, text_field: str) -> Iterator[Record]:
    for rec in _read_json_lines(source):
        if rec.error:
            yield Record(rec.line, None, None, rec.error, _preview(rec.text))
            continue
        data = rec.value
        if not isinstance(data, dict):
            yield Record(rec.line, None, None, f"not a JSON object but {type(data).__name__}", _preview(rec.text))
            continue
        text, err = _text_of(data, text_field)
        yield Record(rec.line, data if err is None else None, text, err, _preview(rec.text) if err else "")


def read_txt(source, text_field: str) -> Iterator[Record]:
    for n, raw, line, err in iter_lines(source):
        if err:
            yield Record(n, None, None, err, _preview(raw))
        else:
            yield Record(n, {text_field: line}, line)


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def read_csv(source, text_field: str) -> Iterator[Record]:
    with open_binary(source) as b:
        f = io.TextIOWrapper(b, encoding="utf-8-sig", errors="surrogateescape", newline="")
        try:
            yield from _csv_records(csv.reader(f), _name(source), text_field)
        finally:
            f.detach()  # the binary stream is closed by its owner, not by this wrapper


def _csv_records(reader, name: str, text_field: str) -> Iterator[Record]:
    try:
        header = next(reader)
    except StopIteration:
        return
    if text_field not in header:
        raise BatchIOError(f"{name}: no column {text_field!r} (columns: {', '.join(header)}); "
                           "choose one with --text-field")
    row_no = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            row_no += 1
            yield Record(row_no, None, None, f"bad CSV: {e}", "")
            continue
        row_no += 1
        raw = ",".join(row)
        if any(_has_surrogates(c) for c in row):
            yield Record(row_no, None, None, "invalid UTF-8", _preview(raw.encode("utf-8", "surrogateescape")))
        elif len(row) != len(header):
            yield Record(row_no, None, None, f"expected {len(header)} fields, got {len(row)}", _preview(raw))
        else:
            data = dict(zip(header, row))
            yield Record(row_no, data, data[text_field])


def read_parquet(source, text_field: str) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parquet keeps its schema at the end of the file, so a stream is read whole first
    pf = pq.ParquetFile(source if isinstance(source, (str, Path)) else pa.BufferReader(source.read()))
    if text_field not in pf.schema_arrow.names:
        raise BatchIOError(f"{_name(source)}: no column {text_field!r} "
                           f"(columns: {', '.join(pf.schema_arrow.names)}); choose one with --text-field")
    n = 0
    for batch in pf.iter_batches(batch_size=2048):
        for data in batch.to_pylist():
            n += 1
            text, err = _text_of(data, text_field)
            if err:
                yield Record(n, None, None, err, _preview(json.dumps(data, ensure_ascii=False, default=str)))
            else:
                yield Record(n, data, text)


READERS: dict[str, Callable[..., Iterator[Record]]] = {
    "jsonl": read_jsonl, "txt": read_txt, "csv": read_csv, "parquet": read_parquet}


def count_records(path: Path, fmt: str) -> int | None:
    """Cheap total for the progress bar (None if unknown)."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        n = 0
        last = b"\n"
        with open(path, "rb") as f:
            while chunk := f.read(1 << 22):
                n += chunk.count(b"\n")
                last = chunk[-1:]
        n += last != b"\n"
        return n - 1 if fmt == "csv" else n
    except OSError:
        return None
