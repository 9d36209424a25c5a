"""Scale-out on Ray Data (optional extra: pip install 'rumorclf[ray]'), imported only when used.

Python API:
    import ray
    from rumorclf.batch.ray_engine import classify_dataset
    ds = ray.data.read_parquet("posts/")                     # any Dataset with a text column
    out = classify_dataset(ds, text_column="text", num_actors=4)
    out.write_parquet("classified/")

`classify_dataset` is a `map_batches` over a fixed-size actor pool (`ray.data.ActorPoolStrategy`,
the API that replaced `concurrency=` in Ray 2.51): each actor loads the model once and classifies
pandas batches of `rows_per_batch` rows, `batch_size` posts per forward pass; rows whose text is
missing or not a string get `pred_error` instead of predictions, so a bad row never fails the job.

CLI: `rumorclf classify IN -o OUT --engine ray [--ray-address ADDR] [--num-actors N]`. The file is
parsed by the same streaming readers as the local engine (so malformed records are accounted for
identically, with line numbers), chunks of records (`--chunk-size`, default 50,000) go through
`classify_dataset`, and the rows come back in input order to the same writers, with the same
commit-and-resume protocol and run fingerprint. The options mean what they mean locally:
`--batch-size` is the forward pass, `--threads` the model's threads (per actor, default 1).
Without an address a local Ray is started.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..schema import error_row
from . import run as _run
from .options import RAY_CHUNK_SIZE, ClassifyOptions
from .state import run_fingerprint

__all__ = ["classify_dataset", "classify_file_ray", "ensure_ray", "ray_row_classifier"]

ROWS_PER_BATCH = 256  # rows of a Ray batch handed to an actor at a time


def _ray():
    try:
        import ray
    except ImportError:
        raise ImportError("the Ray engine needs Ray: pip install 'rumorclf[ray]'") from None
    return ray


def ensure_ray(address: str | None = None, num_cpus: int | None = None) -> None:
    """Connect to a cluster (address) or start a local Ray, once per process."""
    ray = _ray()
    if not ray.is_initialized():
        kw = {"address": address} if address else {"num_cpus": num_cpus}
        ray.init(ignore_reinit_error=True, log_to_driver=False, include_dashboard=False, **kw)


class _ClassifyBatch:
    """Actor: holds one model; classifies a pandas batch; adds prediction columns."""

    def __init__(self, model, text_column, threshold, batch_size, backend, precision, threads, explain, watchlist):
        import torch

        from ..analysis.targets import load_watchlist
        from ..classifier import RumorClassifier
        from .rows import make_row_classifier

        torch.set_num_threads(threads)
        clf = RumorClassifier.from_pretrained(model, backend=backend, precision=precision, threads=threads)
        self.labels = clf.labels
        self.text_column = text_column
        finder = load_watchlist(watchlist, warn=lambda msg: None)  # the driver has said it once
        self.run = make_row_classifier(clf, threshold, batch_size, explain, finder)

    def __call__(self, batch):
        import pandas as pd

        texts = batch[self.text_column].tolist() if self.text_column in batch else [None] * len(batch)
        ok = [i for i, t in enumerate(texts) if isinstance(t, str)]
        preds = self.run([texts[i] for i in ok])
        rows = [{} for _ in texts]
        for i, p in zip(ok, preds):
            rows[i] = p
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                rows[i] = error_row(f"field {self.text_column!r} is "
                                    f"{'missing' if t is None else type(t).__name__}, expected a string")
        extra = pd.DataFrame(rows, index=batch.index)
        return pd.concat([batch, extra], axis=1)


def classify_dataset(ds, model: str | Path | None = None, *, text_column: str = "text", num_actors: int = 2,
                     batch_size: int = 32, rows_per_batch: int = ROWS_PER_BATCH, threshold=None,
                     backend: str = "torch", precision: str = "auto", threads_per_actor: int = 1,
                     explain: bool = False, watchlist: str | Path | None = None,
                     model_batch_size: int | None = None):
    """Classify a `ray.data.Dataset`; returns a Dataset with the prediction columns added.

    `batch_size`: posts per forward pass inside an actor (as in `RumorClassifier.predict`);
    `rows_per_batch`: rows of a Ray batch handed to an actor; `threads_per_actor`: the model's
    threads in each actor, and the CPUs it reserves. `model_batch_size`: the former name of
    `batch_size`, still accepted."""
    ray = _ray()
    if model_batch_size is not None:
        batch_size = model_batch_size
    ClassifyOptions(batch_size=batch_size, threads=threads_per_actor)  # positive integers, or ValueError
    return ds.map_batches(
        _ClassifyBatch, batch_format="pandas", batch_size=rows_per_batch,
        compute=ray.data.ActorPoolStrategy(size=num_actors), num_cpus=threads_per_actor,
        fn_constructor_kwargs=dict(model=str(model) if model else None, text_column=text_column,
                                   threshold=threshold, batch_size=batch_size, backend=backend,
                                   precision=precision, threads=threads_per_actor, explain=explain,
                                   watchlist=str(watchlist) if watchlist else None))


def ray_row_classifier(model, *, threshold=None, backend="torch", precision="auto", num_actors=2,
                       batch_size=32, rows_per_batch=ROWS_PER_BATCH, explain=False, watchlist=None,
                       threads_per_actor=1) -> Callable[[list[str]], list[dict]]:
    """texts -> prediction dicts, computed by `classify_dataset` on Ray, in input order."""
    ray = _ray()

    def run(texts: list[str]) -> list[dict]:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        # few, large blocks: per-block scheduling costs more than a small model's inference
        blocks = max(num_actors, min(len(texts) // max(rows_per_batch, 1), num_actors * 8), 1)
        ds = ray.data.from_items([{"_i": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=blocks)
        out = classify_dataset(ds, model, text_column="text", num_actors=num_actors, batch_size=batch_size,
                               rows_per_batch=rows_per_batch, threshold=threshold, backend=backend,
                               precision=precision, explain=explain, watchlist=watchlist,
                               threads_per_actor=threads_per_actor)
        rows = sorted(out.take_all(), key=lambda r: r["_i"])
        return [{k: _plain(v) for k, v in r.items() if k not in ("_i", "text")} for r in rows]

    return run


def _plain(v):
    """numpy scalars/arrays from pandas back to Python values, so every writer serialises them."""
    import numpy as np

    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def classify_file_ray(input_path, output_path, options: ClassifyOptions | None = None, *, num_actors: int = 2,
                      address: str | None = None, rows_per_batch: int = ROWS_PER_BATCH, window: int | None = None,
                      log: Callable[[str], None] | None = None, **fields) -> dict:
    """The CLI's --engine ray: same accounting, output, resume and options as `classify_local`.

    `options` (or its fields as keywords: model, batch_size, threads, chunk_size, ...); `window`:
    the former name of `chunk_size`, still accepted."""
    from ..analysis.targets import load_watchlist
    from ..modeldir import default_model_path

    if window is not None:
        fields.setdefault("chunk_size", window)
    opts = ClassifyOptions.of(options, **fields)
    threads = opts.threads or 1
    load_watchlist(opts.watchlist, warn=log)  # a bad file fails here, before Ray starts; warns once
    ensure_ray(address, num_cpus=max(num_actors * threads, 1))
    model = str(opts.model or default_model_path())
    rows = ray_row_classifier(model, threshold=opts.threshold, backend=opts.backend, precision=opts.precision,
                              num_actors=num_actors, batch_size=opts.batch_size, rows_per_batch=rows_per_batch,
                              explain=opts.explain, watchlist=opts.watchlist, threads_per_actor=threads)
    fingerprint = run_fingerprint(model, threshold=opts.threshold, backend=opts.backend, explain=opts.explain,
                                  watchlist=opts.watchlist)
    summary = _run.classify_file(input_path, output_path, rows, text_field=opts.text_field,
                                 input_format=opts.input_format, output_format_=opts.output_format,
                                 errors_path=opts.errors_path, chunk_size=opts.chunk_size or RAY_CHUNK_SIZE,
                                 overwrite=opts.overwrite, fingerprint=fingerprint, progress=opts.progress, log=log)
    return {**summary, "threads": threads}
