"""Streaming batch classification of files, with error accounting and exactly-once resume.

Guarantees of `classify_file`:
- streaming: records are read, classified and written in chunks; memory does not grow with input size;
- accounting: every input record ends up either in the output or in the errors file, with its
  line number and reason, so output rows + error rows == input records;
- resume: after each chunk the output and errors files are flushed and fsynced, then a small
  state file records their byte lengths and how many input records they cover. A run that is
  killed (even with SIGKILL) and re-run with the same command truncates any half-written tail and
  continues after the last committed record: no duplicate and no missing row;
- nothing left behind: a run that fails before committing any row (a missing column, a bad
  option) removes what it created, and a finished run removes its state file, and its errors
  file when no record failed;
- pipes: "-" reads stdin or writes stdout (JSONL unless a format is given). Such a run streams
  the same way but cannot resume (a pipe cannot be re-read or truncated), so it keeps no state.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("jsonl", "csv", "txt", "parquet")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".txt": "txt",
        ".parquet": "parquet", ".pq": "parquet"}
STATE_SUFFIX = ".progress.json"
STDIO = "-"  # as input: stdin; as output: stdout


class BatchIOError(Exception):
    """A problem with the command as a whole (not one record): bad format, missing column, refusing to clobber."""


@dataclass
class Record:
    line: int               # 1-based line (jsonl/txt), row (csv, header excluded) or row index + 1 (parquet)
    data: dict | None       # all input fields; None for a malformed record
    text: str | None        # the post to classify
    error: str | None = None
    raw: str = ""           # the raw line, for the errors file


def is_stdio(path) -> bool:
    return str(path) == STDIO


def _name(source) -> str:
    """How messages name an input: its path, or <stdin>."""
    return str(source) if isinstance(source, (str, Path)) else "<stdin>"


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


@contextlib.contextmanager
def _binary(source):
    """A binary file object for a path (opened and closed here) or an open stream (borrowed)."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            yield f
    else:
        yield source


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return None, f"invalid UTF-8 at byte {e.start}"


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


def _decoded_lines(source) -> Iterator[tuple[int, bytes, str | None, str | None]]:
    """(line number, raw bytes, decoded line or None, decoding error or None) for each line."""
    with _binary(source) as f:
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip(b"\r\n")
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark is not content
                raw = raw[3:]
            yield (n, raw, *_decode(raw))


# Readers take a path or an open binary stream (stdin).

def read_jsonl(source, text_field: str) -> Iterator[Record]:
    for n, raw, line, err in _decoded_lines(source):
        if err:
            yield Record(n, None, None, err, _preview(raw))
            continue
        if not line.strip():
            yield Record(n, None, None, "blank line", "")
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            yield Record(n, None, None, f"bad JSON: {e.msg} at column {e.colno}", _preview(line))
            continue
        if not isinstance(data, dict):
            yield Record(n, None, None, f"not a JSON object but {type(data).__name__}", _preview(line))
            continue
        text, err = _text_of(data, text_field)
        yield Record(n, data if err is None else None, text, err, _preview(line) if err else "")


def read_txt(source, text_field: str) -> Iterator[Record]:
    for n, raw, line, err in _decoded_lines(source):
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
    with _binary(source) as b:
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


# ----------------------------------------------------------------------------- writers

def _jsonable(v):
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", errors="replace")
    return str(v)


def _json_line(row: dict) -> bytes:
    try:
        return json.dumps(row, ensure_ascii=False, default=_jsonable).encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape: keep it as an escape
        return json.dumps(row, ensure_ascii=True, default=_jsonable).encode("ascii") + b"\n"


_SURROGATE_RE = None


def _scrub(v):
    """Lone surrogates -> U+FFFD, for formats that must hold valid Unicode (CSV, Parquet)."""
    global _SURROGATE_RE
    if isinstance(v, str):
        if _SURROGATE_RE is None:
            import re

            _SURROGATE_RE = re.compile("[\ud800-\udfff]")
        return _SURROGATE_RE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_scrub(x) for x in v]
    if isinstance(v, dict):
        return {_scrub(k): _scrub(x) for k, x in v.items()}
    return v


class JsonlWriter:
    """Appends to a file (committed = flushed and fsynced; commit returns the file's length) or
    writes to a borrowed stream such as stdout (committed = flushed; commit returns 0)."""

    def __init__(self, target):
        self.path = None if hasattr(target, "write") else Path(target)
        self.f = target if self.path is None else open(self.path, "ab")

    def write(self, rows: list[dict]) -> None:
        self.f.write(b"".join(_json_line(r) for r in rows))

    def commit(self) -> int:
        self.f.flush()
        if self.path is None:
            return 0
        os.fsync(self.f.fileno())
        return self.f.tell()

    def close(self) -> None:
        if self.path is not None:
            self.f.close()


class CsvWriter(JsonlWriter):
    """CSV with the input columns first; list values joined by '|'; fields not in the header go to _extra."""

    def __init__(self, target, columns: list[str] | None = None):
        super().__init__(target)
        self.columns = columns

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.columns is None:
            self.columns = list(rows[0]) + ["_extra"]
            buf = io.StringIO()
            csv.writer(buf).writerow(self.columns)
            self.f.write(buf.getvalue().encode("utf-8"))
        buf = io.StringIO()
        w = csv.writer(buf)
        known = set(self.columns)
        for r in rows:
            extra = {k: v for k, v in r.items() if k not in known}
            vals = []
            for c in self.columns:
                v = extra if c == "_extra" else r.get(c, "")
                if c == "_extra":
                    v = json.dumps(v, ensure_ascii=False, default=_jsonable) if v else ""
                elif isinstance(v, list):
                    v = "|".join(map(str, v))
                vals.append(_scrub(v))
            w.writerow(vals)
        self.f.write(buf.getvalue().encode("utf-8"))


class ParquetPartsWriter:
    """Parquet output: one part file per committed chunk, merged into the final file at the end."""

    def __init__(self, path: Path, parts_done: int = 0):
        self.path = path
        self.dir = path.with_name(path.name + ".parts")
        self.dir.mkdir(parents=True, exist_ok=True)
        for p in self.dir.glob("part-*.parquet"):  # drop parts written after the last commit
            if int(p.stem.split("-")[1]) >= parts_done:
                p.unlink()
        self.parts = parts_done
        self.pending: list[dict] = []

    def write(self, rows: list[dict]) -> None:
        self.pending.extend(rows)

    def commit(self) -> int:
        import pyarrow.parquet as pq

        if self.pending:
            table = _table(self.pending)
            tmp = self.dir / f".part-{self.parts:06d}.tmp"
            pq.write_table(table, tmp)
            os.replace(tmp, self.dir / f"part-{self.parts:06d}.parquet")
            self.parts += 1
            self.pending = []
        return self.parts

    def finish(self) -> None:
        """Merge parts into one file, part by part (memory stays flat). Parts are kept until the
        run's final state is written (then `classify_file` removes them), so a crash here loses nothing."""
        import pyarrow.parquet as pq

        parts = sorted(self.dir.glob("part-*.parquet"))
        schema, as_text = _merged_schema([pq.read_schema(p) for p in parts])
        tmp = self.path.with_name(self.path.name + ".tmp")
        with pq.ParquetWriter(tmp, schema) as w:
            for p in parts:
                w.write_table(_conform(pq.read_table(p), schema, as_text))
        os.replace(tmp, self.path)

    def close(self) -> None:
        pass


def _table(rows: list[dict]):
    """Arrow table from rows; a column whose values Arrow cannot hold as one type (1 then "s",
    an empty object) is stored as JSON text instead of failing the run."""
    import pyarrow as pa

    rows = [_scrub(r) for r in rows]
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    keys = list(dict.fromkeys(k for r in rows for k in r))
    cols = {}
    for k in keys:
        values = [r.get(k) for r in rows]
        try:
            arr = pa.array(values)
            if pa.types.is_struct(arr.type) and arr.type.num_fields == 0:
                raise pa.ArrowNotImplementedError("empty struct")
            cols[k] = arr
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            cols[k] = pa.array([None if v is None else v if isinstance(v, str)
                                else json.dumps(v, ensure_ascii=False, default=_jsonable) for v in values],
                               type=pa.string())
    return pa.table(cols)


def _merged_schema(schemas):
    """One schema for all parts; fields whose types disagree become text."""
    import pyarrow as pa

    types: dict[str, list] = {}
    for sch in schemas:
        for f in sch:
            types.setdefault(f.name, []).append(f.type)
    fields, as_text = [], set()
    for name, ts in types.items():
        distinct = {t for t in ts if not pa.types.is_null(t)}
        if len(distinct) <= 1:
            fields.append(pa.field(name, distinct.pop() if distinct else pa.null()))
        else:
            fields.append(pa.field(name, pa.string()))
            as_text.add(name)
    return pa.schema(fields), as_text


def _conform(table, schema, as_text: set):
    import pyarrow as pa

    cols = []
    for f in schema:
        if f.name not in table.column_names:
            cols.append(pa.nulls(table.num_rows, f.type))
            continue
        col = table.column(f.name)
        if f.name in as_text and not pa.types.is_string(col.type):
            col = pa.array([None if v is None else v if isinstance(v, str)
                            else json.dumps(v, ensure_ascii=False, default=_jsonable) for v in col.to_pylist()],
                           type=pa.string())
        elif col.type != f.type:
            col = col.cast(f.type)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)


def output_format(path: Path, given: str | None = None) -> str:
    fmt = detect_format(path, given, option="--output-format")
    if fmt == "txt":
        raise BatchIOError("plain-text output cannot hold scores; write .jsonl, .csv or .parquet")
    if fmt == "parquet" and is_stdio(path):
        raise BatchIOError("Parquet cannot be written to stdout; write JSONL or CSV there, or name a .parquet file")
    return fmt


# ----------------------------------------------------------------------------- the run

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


def _first_checked(records: Iterator[Record]) -> Iterator[Record]:
    """Read the first record now, so a problem with the input as a whole (a missing column, an
    unreadable Parquet file) is raised before any output file is created."""
    first = next(records, None)
    return records if first is None else itertools.chain([first], records)


def check_paths(input_path, output_path, input_format: str | None = None,
                output_format_: str | None = None, text_field: str | None = None) -> tuple[str, str]:
    """(input format, output format), or BatchIOError for a missing input, an unknown format or,
    given `text_field`, an input file without that column: the checks that need no model, so a
    command line can fail before loading one."""
    if not is_stdio(input_path) and not Path(input_path).exists():
        raise BatchIOError(f"input file not found: {input_path}")
    in_fmt, out_fmt = detect_format(input_path, input_format), output_format(Path(output_path), output_format_)
    if text_field is not None and not is_stdio(input_path):
        records = READERS[in_fmt](Path(input_path), text_field)
        next(records, None)  # reads the header: a missing column raises here
        records.close()
    return in_fmt, out_fmt


@dataclass
class _Files:
    """Where one run writes: output, errors and state (None for a pipe run, which keeps no state)."""

    out: Path | None           # None: stdout
    errors: Path | None        # None: stderr
    state: Path | None
    parts: Path | None = None  # the part files of a Parquet output


def classify_file(input_path: str | Path, output_path: str | Path,
                  classify: Callable[[list[str]], list[dict]], *,
                  text_field: str = "text", input_format: str | None = None,
                  output_format_: str | None = None, errors_path: str | Path | None = None,
                  chunk_size: int = 1024, overwrite: bool = False, fingerprint: dict | None = None,
                  progress: bool = True, log: Callable[[str], None] | None = None) -> dict:
    """Classify a file into an output file; see the module docstring for the guarantees.

    `classify(texts)` returns one dict of prediction fields per text, added to the input fields.
    `input_path` "-" reads stdin and `output_path` "-" writes stdout (errors then go to stderr as
    JSON lines unless `errors_path` is given); such runs do not resume.
    Returns a summary: records, written, errors, seconds, posts_per_second, resumed_from, and
    `removed`: the files a clean finish removed (the state file; the errors file if empty).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    from_stdin, to_stdout = is_stdio(input_path), is_stdio(output_path)
    inp, out = Path(input_path), Path(output_path)
    in_fmt, out_fmt = check_paths(inp, out, input_format, output_format_)
    records = _first_checked(READERS[in_fmt](sys.stdin.buffer if from_stdin else inp, text_field))

    if errors_path:
        err_path = Path(errors_path)
    else:
        err_path = None if to_stdout else out.with_name(out.name + ".errors.jsonl")
    files = _Files(None if to_stdout else out, err_path,
                   None if (from_stdin or to_stdout) else out.with_name(out.name + STATE_SUFFIX),
                   out.with_name(out.name + ".parts") if out_fmt == "parquet" else None)
    fp = None
    if files.state is not None:
        st = inp.stat()
        fp = {"input": str(inp.resolve()), "input_size": st.st_size, "input_mtime_ns": st.st_mtime_ns,
              "text_field": text_field, "output_format": out_fmt, **(fingerprint or {})}
    state = _existing_state(files, fp, overwrite)
    if state is not None and state.get("complete"):
        log(f"{out} is already complete ({state['written']} rows, {state['errors']} errors); "
            "pass --overwrite to redo it")
        return {**state["summary"], "removed": _clean_finish(files, state), "already_complete": True}

    fresh = state is None
    if fresh:
        _remove(files.out, files.errors, files.parts)
        state = {"fingerprint": fp, "records_done": 0, "written": 0, "errors": 0, "output_bytes": 0,
                 "errors_bytes": 0, "complete": False}
        if files.state is not None:
            _write_state(files.state, state)  # from here on, a re-run of this command resumes
        resumed_from = 0
    else:
        resumed_from = state["records_done"]
        if out_fmt != "parquet":
            _truncate(out, state["output_bytes"])
        _truncate(err_path, state["errors_bytes"])
        log(f"resuming after {resumed_from} records ({state['written']} written, {state['errors']} errors)")

    stdout = sys.stdout.buffer if to_stdout else None
    if out_fmt == "parquet":
        writer = ParquetPartsWriter(out, state["output_bytes"] if resumed_from else 0)
    elif out_fmt == "csv":
        columns = None
        if resumed_from and out.exists() and state["output_bytes"] > 0:
            with open(out, encoding="utf-8", newline="") as f:
                columns = next(csv.reader(f))
        writer = CsvWriter(stdout or out, columns)
    else:
        writer = JsonlWriter(stdout or out)
    errors = JsonlWriter(err_path or sys.stderr.buffer)

    total = count_records(inp, in_fmt) if progress and not from_stdin else None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=resumed_from, unit="post", desc="classify", disable=not progress,
               smoothing=0.1, dynamic_ncols=True)
    started = time.time()
    try:
        chunk: list[Record] = []
        for rec in itertools.islice(records, resumed_from, None):
            chunk.append(rec)
            if len(chunk) >= chunk_size:
                _process_chunk(chunk, classify, writer, errors, state, files.state)
                bar.update(len(chunk))
                chunk = []
        if chunk:
            _process_chunk(chunk, classify, writer, errors, state, files.state)
            bar.update(len(chunk))
    except BaseException:
        if fresh and state["records_done"] == 0:  # nothing written: leave nothing behind
            writer.close()
            errors.close()
            _remove(files.out, files.errors, files.parts, files.state)
        raise
    finally:
        bar.close()
        writer.close()
        errors.close()
    if out_fmt == "parquet":
        writer.finish()
        state["output_bytes"] = out.stat().st_size
    seconds = time.time() - started
    done_now = state["records_done"] - resumed_from
    summary = {"input": "<stdin>" if from_stdin else str(inp), "output": "<stdout>" if to_stdout else str(out),
               "errors_file": str(err_path) if err_path else "<stderr>",
               "records": state["records_done"], "written": state["written"], "errors": state["errors"],
               "resumed_from": resumed_from, "seconds": round(seconds, 2),
               "posts_per_second": round(done_now / seconds, 1) if seconds > 0 else None}
    assert state["written"] + state["errors"] == state["records_done"]
    state["complete"] = True
    state["summary"] = summary
    if files.state is not None:
        _write_state(files.state, state)
    return {**summary, "removed": _clean_finish(files, state)}


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


def _process_chunk(chunk: list[Record], classify, writer, errors: JsonlWriter, state: dict,
                   state_path: Path | None) -> None:
    good = [r for r in chunk if r.error is None]
    preds = classify([r.text for r in good]) if good else []
    if len(preds) != len(good):
        raise RuntimeError(f"classifier returned {len(preds)} results for {len(good)} posts")
    writer.write([{**r.data, **p} for r, p in zip(good, preds)])
    bad = [r for r in chunk if r.error is not None]
    errors.write([{"line": r.line, "reason": r.error, "raw": r.raw} for r in bad])
    state["output_bytes"] = writer.commit()
    state["errors_bytes"] = errors.commit()
    state["records_done"] += len(chunk)
    state["written"] += len(good)
    state["errors"] += len(bad)
    if state_path is not None:
        _write_state(state_path, state)  # the commit point: everything before it is durable


def prediction_fields(pred, labels: list[str], digits: int = 6) -> dict:
    """The columns a classified row gains (flat, so CSV and Parquet hold them too)."""
    d = {"pred_labels": pred.labels, "pred_families": pred.families,
         "pred_normalized": pred.normalized, "pred_empty": pred.empty, "pred_windows": pred.windows}
    for lab in labels:
        d[f"score_{lab}"] = round(pred.scores[lab], digits)
    if pred.evidence is not None:
        d["pred_evidence"] = pred.evidence
    if pred.targets is not None:
        d["pred_targets"] = pred.targets
    return d
