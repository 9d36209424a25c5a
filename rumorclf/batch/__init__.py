"""Batch classification of files: streaming readers and writers, exactly-once resume, two engines.

    formats.py     file formats, "-" for stdin/stdout, BatchIOError
    readers.py     one Record per input record (malformed ones too, with line and reason)
    writers.py     JSONL / CSV / Parquet writers that commit (flush + fsync) chunk by chunk
    state.py       the resume state file (the commit point) and the run fingerprint
    run.py         `classify_file`: one run, whatever classifies the texts
    options.py     `ClassifyOptions`: the options of a run, the same for every engine
    rows.py        `make_row_classifier`: texts -> classified-row fields (rumorclf.schema)
    local.py       `classify_local`: the local engine
    ray_engine.py  `classify_file_ray`, `classify_dataset`: the Ray Data engine (imported lazily)

Nothing here imports Ray unless the Ray engine is used.
"""

from .formats import FORMATS, STDIO, BatchIOError, detect_format, is_stdio, output_format
from .local import classify_local
from .options import ClassifyOptions
from .readers import READERS, Record
from .rows import make_row_classifier
from .run import check_paths, classify_file
from .state import run_fingerprint

__all__ = ["FORMATS", "READERS", "STDIO", "BatchIOError", "ClassifyOptions", "Record", "check_paths",
           "classify_file", "classify_local", "detect_format", "is_stdio", "make_row_classifier",
           "output_format", "run_fingerprint"]
