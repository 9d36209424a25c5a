"""The local engine: one process loads the model and classifies the file, chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import run as _run
from .options import LOCAL_CHUNK_SIZE, ClassifyOptions
from .rows import make_row_classifier
from .state import run_fingerprint

__all__ = ["classify_local"]


def classify_local(input_path: str | Path, output_path: str | Path, options: ClassifyOptions | None = None, *,
                   log: Callable[[str], None] | None = None, **fields) -> dict:
    """Classify INPUT into OUTPUT in this process (`options`, or its fields as keywords); returns
    the run's summary (see `classify_file`) with the `threads` used."""
    from .._runtime import default_threads
    from ..analysis.targets import load_watchlist
    from ..classifier import RumorClassifier

    opts = ClassifyOptions.of(options, **fields)
    threads = opts.threads or default_threads()
    clf = RumorClassifier.from_pretrained(opts.model, backend=opts.backend, precision=opts.precision,
                                          threads=threads)
    finder = load_watchlist(opts.watchlist, warn=log)
    rows = make_row_classifier(clf, opts.threshold, opts.batch_size, opts.explain, finder)
    fingerprint = run_fingerprint(getattr(clf, "path", opts.model), threshold=opts.threshold,
                                  backend=opts.backend, explain=opts.explain, watchlist=opts.watchlist)
    summary = _run.classify_file(input_path, output_path, rows, text_field=opts.text_field,
                                 input_format=opts.input_format, output_format_=opts.output_format,
                                 errors_path=opts.errors_path, chunk_size=opts.chunk_size or LOCAL_CHUNK_SIZE,
                                 overwrite=opts.overwrite, fingerprint=fingerprint, progress=opts.progress, log=log)
    return {**summary, "threads": threads}
