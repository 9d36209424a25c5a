"""One batch run: read, classify and write in chunks, with error accounting and exactly-once resume.

Guarantees of `classify_file` (whatever classifies the texts: the local engine or Ray):
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

import csv
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .formats import BatchIOError, detect_format, is_stdio, output_format
from .readers import READERS, Record, count_records
from .state import STATE_SUFFIX, _clean_finish, _existing_state, _Files, _remove, _truncate, _write_state
from .writers import CsvWriter, JsonlWriter, ParquetPartsWriter

__all__ = ["BatchIOError", "check_paths", "classify_file"]


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
