"""Writers of a batch run's output: append and commit (flush + fsync), so a run can resume.

JSONL and CSV append to the file (commit returns its length, the resume point); Parquet writes one
part file per commit and merges them at the end. Values a format cannot hold are kept as text.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

__all__ = ["CsvWriter", "JsonlWriter", "ParquetPartsWriter"]


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
