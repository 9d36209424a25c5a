"""The `rumorclf` command line.

Everything the CLI prints that comes from a user, a file or a post (paths, texts, messages) is
printed as plain text, never read as rich markup. What scripts read goes to stdout (rows, TSV,
JSON); messages, the summary and the progress bar go to stderr, in plain lines when stderr is
not a terminal.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from ._cli_output import out, print_predictions
from ._cli_output import fail as _fail
from ._cli_output import print_summary as _print_summary
from ._cli_output import say as _say


def _flags_take_no_value(params) -> None:
    """typer 0.29 shows a `<bool>` type after flags (`--explain <bool>`), as if they took a value;
    an empty metavar makes help show none (older typer shows none already)."""
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""


class _Command(TyperCommand):
    def get_params(self, ctx):
        params = super().get_params(ctx)
        _flags_take_no_value(params)
        return params


class _Group(TyperGroup):
    def get_params(self, ctx):
        params = super().get_params(ctx)
        _flags_take_no_value(params)
        return params


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_Group,
                  help="Flag Chinese posts that attack enterprises online (15 categories, multi-label).")


def _command(*args, **kwargs):
    return app.command(*args, cls=_Command, **kwargs)


class Backend(str, Enum):
    torch = "torch"
    onnx = "onnx"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class ListFormat(str, Enum):
    table = "table"
    tsv = "tsv"
    json = "json"


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
    try:
        if "=" not in value:
            return float(value)
        out_: dict[str, float] = {}
        for part in value.split(","):
            k, _, v = part.partition("=")
            out_[k.strip()] = float(v)
        return out_
    except ValueError:
        _fail(f"--threshold {value!r}: give a number, or label=number,label=number")


def _cli_threads(threads: Optional[int]) -> int:
    """--threads, or the cores free right now (see `rumorclf._runtime.default_threads`)."""
    if threads:
        return threads
    from ._runtime import default_threads

    return default_threads()


@_command()
def classify(
    input: Optional[Path] = typer.Argument(None, metavar="INPUT",
                                           help="JSONL, CSV, TXT (one post a line) or Parquet file; - reads stdin"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="output .jsonl, .csv or .parquet; - writes JSONL to stdout"),
    texts: Optional[list[str]] = typer.Option(None, "--text",
                                              help="classify this post and print its labels and scores (repeatable)"),
    text_field: str = typer.Option("text", "--text-field", "-f", help="field/column holding the post"),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="model directory (default: the packaged model)"),
    input_format: Optional[str] = typer.Option(None, "--format", "--input-format",
                                               help="input format (jsonl, csv, txt, parquet) when the extension "
                                                    "does not tell; stdin is read as jsonl unless given"),
    output_format: Optional[str] = typer.Option(None, "--output-format",
                                                help="output format (jsonl, csv, parquet) when the extension "
                                                     "does not tell; stdout gets jsonl unless given"),
    errors: Optional[Path] = typer.Option(None, "--errors",
                                          help="errors file (default: OUTPUT.errors.jsonl; with -o -: stderr)"),
    batch_size: int = typer.Option(32, "--batch-size", "-b",
                                   help="posts per forward pass, on every engine (32 keeps peak memory low; "
                                        "larger is no faster on CPU)"),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size",
                                             help="records per committed chunk, the resume granularity "
                                                  "(default: 1024; 50000 with --engine ray)"),
    threshold: Optional[str] = typer.Option(None, "--threshold", "-t",
                                            help="one value for all labels, or label=value,label=value"),
    threads: Optional[int] = typer.Option(None, "--threads",
                                          help="CPU threads for the model (default: the cores idle at start; "
                                               "per actor with --engine ray, default 1)"),
    backend: Backend = typer.Option(Backend.torch, "--backend"),
    explain: bool = typer.Option(False, "--explain", help="add evidence spans for each predicted label"),
    watchlist: Optional[Path] = typer.Option(None, "--watchlist",
                                             help="targets file: canonical name + aliases (format: see README)"),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local process, or Ray Data"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (default: local Ray)"),
    num_actors: int = typer.Option(2, "--num-actors", help="Ray actors (each loads the model once)"),
    ray_batch_rows: int = typer.Option(256, "--ray-batch-rows",
                                       help="rows of a Ray batch handed to an actor at a time (--engine ray)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace OUTPUT instead of resuming"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                            help="progress bar on stderr (default: when stderr is a terminal)"),
):
    """Classify every post of INPUT into OUTPUT: input fields kept, labels and scores added.

    Malformed records go to the errors file with their line number and reason. An interrupted run
    resumes when the same command is run again (not when reading stdin or writing stdout).
    With --text, classify the posts given and print their labels and scores.
    """
    from .batch import BatchIOError, ClassifyOptions, check_paths

    thr = _parse_threshold(threshold)
    if watchlist is not None and not watchlist.is_file():
        _fail(f"watchlist file not found: {watchlist} (one entry a line: name<TAB>alias|alias, "
              "or JSON Lines; see the README's Targets section)")
    if texts:
        if input is not None or output is not None:
            _fail("--text classifies the posts given on the command line; drop INPUT and -o")
        return _classify_texts(texts, model, thr, threads, backend.value, explain, watchlist, batch_size)
    if input is None:
        _fail("give INPUT (a file, or - for stdin) and -o OUTPUT, or --text POST")
    if output is None:
        _fail("missing -o/--output: a file (.jsonl, .csv, .parquet), or - for stdout")
    if progress is None:
        progress = sys.stderr.isatty()
    _quiet_transformers()
    try:
        options = ClassifyOptions(model=model, text_field=text_field, input_format=input_format,
                                  output_format=output_format, errors_path=errors, batch_size=batch_size,
                                  chunk_size=chunk_size, threshold=thr, threads=threads, backend=backend.value,
                                  explain=explain, watchlist=watchlist, overwrite=overwrite, progress=progress)
        check_paths(input, output, input_format, output_format, text_field)  # before the model loads
        if engine == Engine.ray:
            from .batch.ray_engine import classify_file_ray

            summary = classify_file_ray(input, output, options, num_actors=num_actors, address=ray_address,
                                        rows_per_batch=ray_batch_rows, log=_say)
        else:
            from .batch.local import classify_local

            summary = classify_local(input, output, options, log=_say)
    except BrokenPipeError:  # `-o - | head`: the reader has had enough; click exits quietly (status 1)
        raise
    except (BatchIOError, OSError, ValueError, ImportError) as e:  # ModelDirError/TaxonomyError are ValueErrors
        _fail(str(e))
    except Exception as e:  # e.g. a corrupt safetensors file: say what failed, without a traceback
        if type(e).__name__ not in ("SafetensorError", "HeaderTooLarge"):
            raise
        _fail(f"cannot read the model weights: {e}")
    _print_summary(summary)


# kept for callers of the former rumorclf.cli helpers; the library versions live in rumorclf.batch
from .batch.rows import make_row_classifier  # noqa: E402


def load_watchlist(watchlist: Optional[Path]):
    """The TargetFinder of a watchlist file, warning on stderr without pypinyin."""
    from .analysis.targets import load_watchlist as load

    return load(watchlist, warn=_say)


def _classify_texts(texts, model, thr, threads, backend, explain, watchlist, batch_size) -> None:
    """--text: one JSON line per post on stdout when piped (the fields of a classified row), a table
    of labels and scores on a terminal."""
    from .classifier import RumorClassifier
    from .schema import prediction_row

    _quiet_transformers()
    try:
        clf = RumorClassifier.from_pretrained(model, backend=backend, threads=_cli_threads(threads))
        preds = clf.predict(texts, batch_size=batch_size, threshold=thr, explain=explain,
                            targets=load_watchlist(watchlist))
    except (OSError, ValueError, ImportError) as e:
        _fail(str(e))
    if not sys.stdout.isatty():
        for text, p in zip(texts, preds):
            print(json.dumps({"text": text, **prediction_row(p, clf.labels)}, ensure_ascii=False))
        return
    print_predictions(texts, preds, clf, clf.threshold_vector(thr))


@_command()
def labels(taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="a taxonomy file (default: packaged)"),
           fmt: Optional[ListFormat] = typer.Option(None, "--format",
                                                    help="table, tsv or json (default: table on a terminal, "
                                                         "tsv when piped)"),
           as_json: bool = typer.Option(False, "--json", help="the same as --format json: the taxonomy file")):
    """Print the taxonomy: id, Chinese and English name, family, definition."""
    from .taxonomy import Taxonomy, TaxonomyError

    try:
        tax = Taxonomy.load(taxonomy)
    except (TaxonomyError, OSError) as e:
        _fail(str(e))
    if as_json:
        fmt = ListFormat.json
    if fmt is None:
        fmt = ListFormat.table if sys.stdout.isatty() else ListFormat.tsv
    if fmt == ListFormat.json:
        print(json.dumps(tax.to_dict(), ensure_ascii=False, indent=1))
        return
    fams = {f.id: f.zh for f in tax.families}
    if fmt == ListFormat.tsv:
        def cell(s) -> str:
            return " ".join(str(s).split())  # no tab or newline inside a field

        print("\t".join(("id", "zh", "en", "family", "family_zh", "definition")))
        for c in tax.categories:
            print("\t".join(cell(x) for x in (c.id, c.zh, c.en, c.family, fams.get(c.family, ""), c.definition)))
        return
    t = Table(title=Text(f"{tax.name} v{tax.version}: {len(tax)} categories (none = normal post)"))
    for col in ("#", "id", "中文", "family", "what it is"):
        t.add_column(col, overflow="fold")
    for i, c in enumerate(tax.categories, 1):
        t.add_row(str(i), Text(c.id), Text(c.zh), Text(f"{c.family} {fams.get(c.family, '')}"), Text(c.definition))
    out.print(t)


@_command()
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


@_command()
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
    _say(f"wrote {output} and {summary['csv']} ({summary['posts']} posts, {summary['flagged']} flagged"
         + (f"; {summary['malformed']} lines skipped: not classified JSON" if summary.get("malformed") else "")
         + ")")


@_command("export-onnx")
def export_onnx_cmd(model: Path = typer.Argument(..., help="model directory"),
                    out_dir: Path = typer.Argument(..., help="output model directory (files copied + model.onnx)"),
                    int8: bool = typer.Option(False, "--int8", help="int8 dynamic quantization of the weights")):
    """Export a model to ONNX for the onnxruntime backend (--backend onnx)."""
    from .modeldir import ModelDirError
    from .backends.onnx import export_onnx

    _quiet_transformers()
    try:
        path = export_onnx(model, out_dir, int8=int8)
    except (ModelDirError, ImportError, FileNotFoundError) as e:
        _fail(str(e))
    _say(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); use it with --backend onnx -m {out_dir}")


COMMANDS_GROUP = "rumorclf.commands"  # entry points: `rumorclf NAME` hands its arguments to NAME's main(argv)


def _forward(command: str, ctx: typer.Context) -> None:
    """Hand the remaining arguments to the main(argv) that a package registered for `command` in the
    `rumorclf.commands` entry-point group (training registers train, evaluate, combine and pretrain), named
    `rumorclf COMMAND` in its usage line; a bad argument or bad data is one error line. The CLI
    itself never imports training: the training package plugs its commands in."""
    from importlib.metadata import entry_points

    found = list(entry_points(group=COMMANDS_GROUP, name=command))
    try:
        if not found:
            raise ImportError(f"no {COMMANDS_GROUP!r} entry point named {command!r}")
        main = found[0].load()
    except ImportError as e:
        _fail(f"rumorclf {command} is not available ({e}); install the training extra: pip install 'rumorclf[train]'")
    _quiet_transformers()
    argv0 = sys.argv[0]
    sys.argv[0] = f"rumorclf {command}"  # argparse's prog comes from argv[0]
    try:
        main(list(ctx.args))
    except (ValueError, OSError) as e:  # bad data or a missing file: the message says it all
        _fail(f"rumorclf {command}: {e}", code=1)
    finally:
        sys.argv[0] = argv0


_FORWARD = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@_command(context_settings=_FORWARD)
def train(ctx: typer.Context):
    """Fine-tune a classifier (arguments of `python -m training.train`; --help for them)."""
    _forward("train", ctx)


@_command(context_settings=_FORWARD)
def evaluate(ctx: typer.Context):
    """Evaluate a model on labelled JSONL: MODEL DATA [--out DIR] (see `python -m training.evaluate`)."""
    _forward("evaluate", ctx)


@_command(context_settings=_FORWARD)
def combine(ctx: typer.Context):
    """Mix a fine-tuned BERT with a char n-gram model chosen on dev (see `python -m training.combine`)."""
    _forward("combine", ctx)


@_command(context_settings=_FORWARD)
def pretrain(ctx: typer.Context):
    """Pre-train a base encoder (arguments of `python -m training.pretrain`)."""
    _forward("pretrain", ctx)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. `rumorclf labels | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
