"""The options of a batch run, one dataclass for every engine, so each means the same on each."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOCAL_CHUNK_SIZE", "RAY_CHUNK_SIZE", "ClassifyOptions"]

LOCAL_CHUNK_SIZE = 1024   # records per committed chunk, local engine
RAY_CHUNK_SIZE = 50_000   # the Ray engine: each chunk is one Ray job, worth its scheduling cost


@dataclass(frozen=True)
class ClassifyOptions:
    """How to classify a file. The same fields drive `classify_local` and `classify_file_ray`.

    batch_size  posts per forward pass of the model, in this process or in each Ray actor
    chunk_size  records per committed chunk, the resume granularity (None: 1024 local, 50,000 Ray)
    threads     CPU threads of the model: in this process (None: the cores idle at start), or per
                Ray actor (None: 1; the actor also reserves that many CPUs from Ray)
    """

    model: str | Path | None = None          # a model directory; None: the packaged default model
    text_field: str = "text"
    input_format: str | None = None
    output_format: str | None = None
    errors_path: str | Path | None = None    # None: OUTPUT.errors.jsonl (stderr when writing stdout)
    batch_size: int = 32
    chunk_size: int | None = None
    threshold: float | dict | None = None
    threads: int | None = None
    backend: str = "torch"
    precision: str = "auto"
    explain: bool = False
    watchlist: str | Path | None = None
    overwrite: bool = False
    progress: bool = True

    def __post_init__(self):
        for name in ("batch_size", "chunk_size", "threads"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer, not {value!r}")

    @classmethod
    def of(cls, options: ClassifyOptions | None = None, **fields) -> ClassifyOptions:
        """`options` (default: all defaults) with `fields` replaced; an unknown field is a TypeError."""
        return dataclasses.replace(options or cls(), **fields)
