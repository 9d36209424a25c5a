"""Typed argument dataclasses shared by the command line and the Python API.

Each field of an arguments dataclass (`FineTuneArguments`, `PretrainArguments`) is declared once
with `arg(...)`: its type, default and help text. `add_arguments` builds the argparse options
from those fields, so the CLI and the Python API cannot drift: `--batch-size` is the field
`batch_size`, with the same default and the same help.

    from rumorclf.training.train import FineTuneArguments, train
    train(FineTuneArguments(out="runs/mine", epochs=3))
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from pathlib import Path
from typing import Any


def arg(default: Any = dataclasses.MISSING, *, help: str = "", flag: str | None = None,
        choices: tuple | None = None, group: str | None = None, factory=None, store: str | None = None):
    """A dataclass field that is also a command-line option.

    flag: the option name (default --field-name); store: "true"/"false" for switches (a bool field
    that defaults to False is a store-true switch by itself); factory: a callable giving the
    default at construction time (e.g. read from the shipped model's recipe); group: the
    argparse group heading the option is listed under.
    """
    meta = {"help": help, "flag": flag, "choices": choices, "group": group, "store": store}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _base_type(tp) -> tuple[type, bool]:
    """(element or scalar type, optional) for int, float, str, Path, bool, X | None and list[X]."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is list:
        return args[0], False
    if args and len(args) < len(typing.get_args(tp)):  # X | None
        return args[0], True
    return tp, False


def add_arguments(parser: argparse.ArgumentParser, cls, groups: dict[str, str] | None = None) -> None:
    """Add one option per field of the dataclass `cls` to `parser` (groups: heading -> description)."""
    hints = typing.get_type_hints(cls)
    made: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        meta = f.metadata
        target = parser
        if meta.get("group"):
            key = meta["group"]
            if key not in made:
                made[key] = parser.add_argument_group(key, (groups or {}).get(key))
            target = made[key]
        flag = meta.get("flag") or "--" + f.name.replace("_", "-")
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        kw: dict[str, Any] = {"dest": f.name, "help": (meta.get("help") or "").replace("%", "%%") or None}
        if not required:
            kw["default"] = f.default_factory() if f.default is dataclasses.MISSING else f.default
        tp, _ = _base_type(hints[f.name])
        store = meta.get("store") or ("true" if tp is bool and kw.get("default") is False else None)
        if store:
            kw["action"] = f"store_{store}"
        elif typing.get_origin(hints[f.name]) is list:
            kw.update(action="append", type=tp)
        else:
            kw["type"] = tp
            if meta.get("choices"):
                kw["choices"] = meta["choices"]
            if required:
                kw["required"] = True
        target.add_argument(flag, **kw)


def parser_for(cls, description: str | None) -> argparse.ArgumentParser:
    """The command line of an arguments dataclass: one option per field, `description` on top."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p, cls)
    return p


def parse_into(cls, description: str | None, argv=None):
    """Parse `argv` (default sys.argv[1:]) into an instance of the arguments dataclass `cls`."""
    return from_namespace(cls, parser_for(cls, description).parse_args(argv))


def command(cls, description: str | None, run):
    """(build_parser, parse_args, main) of a command: `main(argv)` parses argv into `cls`, sets up
    logging (training.configure_run) and returns `run(args)`."""
    from . import configure_run

    def build_parser() -> argparse.ArgumentParser:
        return parser_for(cls, description)

    def parse_args(argv=None):
        return parse_into(cls, description, argv)

    def main(argv=None):
        args = parse_args(argv)
        configure_run(args.quiet)
        return run(args)

    return build_parser, parse_args, main


def from_namespace(cls, ns: argparse.Namespace | dict):
    """An instance of `cls` from an argparse Namespace (or dict); keys that are no field are an error."""
    values = dict(vars(ns) if isinstance(ns, argparse.Namespace) else ns)
    names = {f.name for f in dataclasses.fields(cls)}
    extra = sorted(set(values) - names)
    if extra:
        raise TypeError(f"{cls.__name__} has no fields {extra}")
    return cls(**values)


def as_path(value) -> Path | None:
    return None if value in (None, "") else Path(value)
