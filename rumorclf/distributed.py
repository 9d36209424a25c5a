"""Scale-out on Ray Data (optional extra: pip install 'rumorclf[ray]'). The core never imports this.

Python API:
    import ray, rumorclf.distributed as rd
    ds = ray.data.read_parquet("posts/")                     # any Dataset with a text column
    out = rd.classify_dataset(ds, text_column="text", num_actors=4)
    out.write_parquet("classified/")

`classify_dataset` is a `map_batches` over a fixed-size actor pool (`ray.data.ActorPoolStrategy`,
the API that replaced `concurrency=` in Ray 2.51): each actor loads the model once and classifies
pandas batches; rows whose text is missing or not a string get `pred_error` instead of
predictions, so a bad row never fails the job.

CLI: `rumorclf classify IN -o OUT --engine ray [--ray-address ADDR] [--num-actors N]`. The file is
parsed by the same streaming readers as the local engine (so malformed records are accounted for
identically, with line numbers), windows of records (`--chunk-size`, default 50,000) go through
`classify_dataset`, and the rows come back in input order to the same writers, with the same
commit-and-resume protocol. `--threads` is per actor (default 1), `--batch-size` is the model's
forward batch inside each actor, `--no-progress` turns the bar off. Without an address a local
Ray is started.
"""

from __future__ import annotations

from pathlib import Path


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

        from .classifier import RumorClassifier
        from .cli import load_watchlist, make_row_classifier

        torch.set_num_threads(threads or 1)
        clf = RumorClassifier.from_pretrained(model, backend=backend, precision=precision, threads=threads or 1)
        self.labels = clf.labels
        self.text_column = text_column
        self.run = make_row_classifier(clf, threshold, batch_size, explain, load_watchlist(watchlist))

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
                rows[i] = {"pred_error": f"field {self.text_column!r} is "
                                         f"{'missing' if t is None else type(t).__name__}, expected a string"}
        extra = pd.DataFrame(rows, index=batch.index)
        return pd.concat([batch, extra], axis=1)


def classify_dataset(ds, model: str | Path | None = None, *, text_column: str = "text", num_actors: int = 2,
                     batch_size: int = 256, threshold=None, backend: str = "torch", precision: str = "auto",
                     threads_per_actor: int = 1, explain: bool = False, watchlist: str | Path | None = None,
                     model_batch_size: int = 32):
    """Classify a `ray.data.Dataset`; returns a Dataset with the prediction columns added.

    `batch_size`: rows per Ray batch handed to an actor; `model_batch_size`: posts per forward
    pass inside it."""
    ray = _ray()
    return ds.map_batches(
        _ClassifyBatch, batch_format="pandas", batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=num_actors), num_cpus=threads_per_actor,
        fn_constructor_kwargs=dict(model=str(model) if model else None, text_column=text_column,
                                   threshold=threshold, batch_size=model_batch_size, backend=backend,
                                   precision=precision, threads=threads_per_actor, explain=explain,
                                   watchlist=str(watchlist) if watchlist else None))


def ray_row_classifier(model, *, threshold=None, backend="torch", precision="auto", num_actors=2,
                       batch_size=256, explain=False, watchlist=None, threads_per_actor=1, model_batch_size=32):
    """texts -> prediction dicts, computed by `classify_dataset` on Ray, in input order."""
    ray = _ray()

    def run(texts: list[str]) -> list[dict]:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        # few, large blocks: per-block scheduling costs more than a small model's inference
        blocks = max(num_actors, min(len(texts) // max(batch_size, 1), num_actors * 8), 1)
        ds = ray.data.from_items([{"_i": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=blocks)
        out = classify_dataset(ds, model, text_column="text", num_actors=num_actors, batch_size=batch_size,
                               threshold=threshold, backend=backend, precision=precision, explain=explain,
                               watchlist=watchlist, threads_per_actor=threads_per_actor,
                               model_batch_size=model_batch_size)
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


def classify_file_ray(input, output, *, model=None, text_field="text", input_format=None, output_format=None,
                      errors_path=None, batch_size=32, threshold=None, backend="torch", precision="auto", threads=1,
                      num_actors=2, address=None, overwrite=False, explain=False, watchlist=None,
                      window: int = 50_000, progress: bool = True, log=None) -> dict:
    """The CLI's --engine ray: same accounting, output and resume as the local engine.

    `window`: records per committed chunk (each one Ray job); `threads`: per actor; `batch_size`:
    posts per forward pass inside an actor."""
    from .batchio import classify_file
    from .modeldir import default_model_path

    threads = threads or 1
    ensure_ray(address, num_cpus=max(num_actors * threads, 1))
    model = str(model or default_model_path())
    run = ray_row_classifier(model, threshold=threshold, backend=backend, precision=precision,
                             num_actors=num_actors, explain=explain, watchlist=watchlist,
                             threads_per_actor=threads, model_batch_size=batch_size)
    fingerprint = {"model": model, "threshold": threshold, "backend": backend, "explain": explain,
                   "watchlist": str(watchlist) if watchlist else None}
    return classify_file(input, output, run, text_field=text_field, input_format=input_format,
                         output_format_=output_format, errors_path=errors_path, chunk_size=window,
                         overwrite=overwrite, fingerprint=fingerprint, progress=progress, log=log)
