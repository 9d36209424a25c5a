"""The `rumorclf` command line."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Flag Chinese posts that attack enterprises online (15 categories, multi-label).")
err = Console(stderr=True)
out = Console()


class Backend(str, Enum):
    torch = "torch"
    onnx = "onnx"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


def _quiet_transformers() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def _parse_threshold(value: Optional[str]):
    """'0.4' -> 0.4; 'rumor=0.3,extortion=0.6' -> dict; None -> None."""
    if value is None:
        return None
    if "=" not in value:
        return float(value)
    out_: dict[str, float] = {}
    for part in value.split(","):
        k, _, v = part.partition("=")
        out_[k.strip()] = float(v)
    return out_


def _fail(msg: str, code: int = 2):
    err.print(f"[red]error:[/red] {msg}")
    raise typer.Exit(code)


@app.command()
def classify(
    input: Path = typer.Argument(..., help="JSONL, CSV, TXT (one post a line) or Parquet file"),
    output: Path = typer.Option(..., "-o", "--output", help="output .jsonl, .csv or .parquet"),
    text_field: str = typer.Option("text", "--text-field", "-f", help="field/column holding the post"),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="model directory (default: the packaged model)"),
    input_format: Optional[str] = typer.Option(None, "--format", help="input format if the extension does not tell"),
    errors: Optional[Path] = typer.Option(None, "--errors", help="errors file (default: OUTPUT.errors.jsonl)"),
    batch_size: int = typer.Option(32, "--batch-size", "-b", help="posts per forward pass (32 keeps peak memory low; larger is no faster on CPU)"),
    chunk_size: int = typer.Option(1024, "--chunk-size", help="records per committed chunk (resume granularity)"),
    threshold: Optional[str] = typer.Option(None, "--threshold", "-t",
                                            help="one value for all labels, or label=value,label=value"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for the model"),
    backend: Backend = typer.Option(Backend.torch, "--backend"),
    explain: bool = typer.Option(False, "--explain", help="add evidence spans for each predicted label"),
    watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="targets file: canonical name + aliases"),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local process, or Ray Data"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (default: local Ray)"),
    num_actors: int = typer.Option(2, "--num-actors", help="Ray actors (each loads the model once)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace OUTPUT instead of resuming"),
    no_progress: bool = typer.Option(False, "--no-progress"),
):
    """Classify every post of INPUT into OUTPUT: input fields kept, labels and scores added.

    Malformed records go to the errors file with their line number and reason. An interrupted run
    resumes when the same command is run again.
    """
    from .batchio import BatchIOError

    _quiet_transformers()
    thr = _parse_threshold(threshold)
    try:
        if engine == Engine.ray:
            from .distributed import classify_file_ray

            summary = classify_file_ray(input, output, model=model, text_field=text_field,
                                        input_format=input_format, errors_path=errors, batch_size=batch_size,
                                        threshold=thr, backend=backend.value, threads=threads,
                                        num_actors=num_actors, address=ray_address, overwrite=overwrite,
                                        explain=explain, watchlist=watchlist)
        else:
            summary = _classify_local(input, output, model, text_field, input_format, errors, batch_size,
                                      chunk_size, thr, threads, backend.value, explain, watchlist,
                                      overwrite, not no_progress)
    except (BatchIOError, OSError, ValueError, ImportError) as e:  # ModelDirError/TaxonomyError are ValueErrors
        _fail(str(e))
    except Exception as e:  # e.g. a corrupt safetensors file: say what failed, without a traceback
        if type(e).__name__ not in ("SafetensorError", "HeaderTooLarge"):
            raise
        _fail(f"cannot read the model weights: {e}")
    _print_summary(summary)


def make_row_classifier(clf, threshold=None, batch_size: int = 32, explain: bool = False, finder=None):
    """A function texts -> prediction-field dicts, shared by the local and the Ray engines."""
    from .batchio import prediction_fields

    def run(texts: list[str]) -> list[dict]:
        preds = clf.predict(texts, batch_size=batch_size, threshold=threshold, explain=explain, targets=finder)
        return [prediction_fields(p, clf.labels) for p in preds]

    return run


def load_watchlist(watchlist: Optional[Path]):
    if watchlist is None:
        return None
    from .targets import TargetFinder

    return TargetFinder.from_file(watchlist)


def _classify_local(input, output, model, text_field, input_format, errors, batch_size, chunk_size, thr,
                    threads, backend, explain, watchlist, overwrite, progress):
    from .batchio import classify_file
    from .classifier import RumorClassifier

    clf = RumorClassifier.from_pretrained(model, backend=backend, threads=threads)
    fingerprint = {"model": str(getattr(clf, "path", model)), "threshold": thr, "backend": backend,
                   "explain": explain, "watchlist": str(watchlist) if watchlist else None}
    run = make_row_classifier(clf, thr, batch_size, explain, load_watchlist(watchlist))
    return classify_file(input, output, run, text_field=text_field, input_format=input_format,
                         errors_path=errors, chunk_size=chunk_size, overwrite=overwrite,
                         fingerprint=fingerprint, progress=progress, log=lambda m: err.print(m))


def _print_summary(s: dict) -> None:
    if s.get("already_complete"):
        return
    t = Table(title="rumorclf classify", show_header=False)
    for k in ("input", "output", "records", "written", "errors", "errors_file", "resumed_from",
              "seconds", "posts_per_second"):
        if k in s:
            t.add_row(k, str(s[k]))
    err.print(t)
    if s.get("errors"):
        err.print(f"[yellow]{s['errors']} malformed records[/yellow] listed in {s['errors_file']}")


@app.command()
def labels(taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="a taxonomy file (default: packaged)"),
           as_json: bool = typer.Option(False, "--json", help="print the taxonomy file as JSON")):
    """Print the taxonomy: id, Chinese and English name, family, definition."""
    from .taxonomy import Taxonomy, TaxonomyError

    try:
        tax = Taxonomy.load(taxonomy)
    except (TaxonomyError, OSError) as e:
        _fail(str(e))
    if as_json:
        print(json.dumps(tax.to_dict(), ensure_ascii=False, indent=1))
        return
    t = Table(title=f"{tax.name} v{tax.version}: {len(tax)} categories (none = normal post)")
    for col in ("#", "id", "中文", "family", "what it is"):
        t.add_column(col, overflow="fold")
    fams = {f.id: f.zh for f in tax.families}
    for i, c in enumerate(tax.categories, 1):
        t.add_row(str(i), c.id, c.zh, f"{c.family} {fams.get(c.family, '')}", c.definition)
    out.print(t)


@app.command()
def info(model: Optional[Path] = typer.Option(None, "--model", "-m", help="model directory (default: packaged)")):
    """Print the model card of a model directory."""
    from .modeldir import ModelDirError, default_model_path, validate_model_dir

    path = model or default_model_path()
    try:
        validate_model_dir(path)
    except ModelDirError as e:
        _fail(str(e))
    card = path / "README.md"
    print(card.read_text(encoding="utf-8") if card.exists() else f"{path}: no model card")


class ReportBy(str, Enum):
    target = "target"
    label = "label"
    family = "family"
    day = "day"


@app.command()
def report(classified: Path = typer.Argument(..., help="output of `rumorclf classify` (JSONL)"),
           output: Path = typer.Option(..., "-o", "--output", help="HTML file to write"),
           by: Optional[list[ReportBy]] = typer.Option(None, "--by", help="sections (repeatable; default: all)"),
           top_n: int = typer.Option(5, "--top", help="top posts shown per category"),
           text_field: str = typer.Option("text", "--text-field", "-f"),
           date_field: Optional[str] = typer.Option(None, "--date-field", help="field with the post time"),
           csv_out: Optional[Path] = typer.Option(None, "--csv", help="CSV of the numbers (default: OUTPUT.csv)")):
    """Indicator report: one self-contained HTML file (counts, shares, trends, top posts) plus CSV."""
    from .report import build_report

    if not classified.exists():
        _fail(f"file not found: {classified}")
    sections = tuple(b.value for b in by) if by else ("label", "family", "target", "day")
    try:
        summary = build_report(classified, output, by=sections, top_n=top_n, text_field=text_field,
                               date_field=date_field, csv_path=csv_out)
    except (ValueError, OSError) as e:
        _fail(str(e))
    err.print(f"wrote {output} ({summary.get('posts', '?')} posts)")


@app.command("export-onnx")
def export_onnx_cmd(model: Path = typer.Argument(..., help="model directory"),
                    out_dir: Path = typer.Argument(..., help="output model directory (files copied + model.onnx)"),
                    int8: bool = typer.Option(False, "--int8", help="int8 dynamic quantization of the weights")):
    """Export a model to ONNX for the onnxruntime backend (--backend onnx)."""
    from .modeldir import ModelDirError
    from .onnx_backend import export_onnx

    _quiet_transformers()
    try:
        path = export_onnx(model, out_dir, int8=int8)
    except (ModelDirError, ImportError, FileNotFoundError) as e:
        _fail(str(e))
    err.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); use it with --backend onnx -m {out_dir}")


def _forward(module: str, ctx: typer.Context) -> None:
    """Hand the remaining arguments to a training module's own argument parser."""
    try:
        mod = __import__(module, fromlist=["main"])
    except ImportError as e:
        _fail(f"{module} is not available ({e}); install the training extra: pip install 'rumorclf[train]'")
    _quiet_transformers()
    mod.main(list(ctx.args))


_FORWARD = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@app.command(context_settings=_FORWARD)
def train(ctx: typer.Context):
    """Fine-tune a classifier (arguments of `python -m training.train`; --help for them)."""
    _forward("training.train", ctx)


@app.command(context_settings=_FORWARD)
def evaluate(ctx: typer.Context):
    """Evaluate a model on labelled JSONL: MODEL DATA [--out DIR] (see `python -m training.evaluate`)."""
    _forward("training.evaluate", ctx)


@app.command(context_settings=_FORWARD)
def pretrain(ctx: typer.Context):
    """Pre-train a base encoder (arguments of `python -m training.pretrain`)."""
    _forward("training.pretrain", ctx)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. `rumorclf labels | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
