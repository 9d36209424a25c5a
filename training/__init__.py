"""Training, pre-training and evaluation for rumorclf. Imports `rumorclf`; never the reverse.

Installed as `rumorclf.training` (the repo's training/ folder, mapped in pyproject.toml); from the
repo root it is also importable as `training` (`python -m training.train`). Modules import each
other relatively only, so both names work. See training/README.md for the module table.
"""

import logging
import os


def configure_run(quiet: bool = False) -> None:
    """Logging and tokenizer settings shared by the training entry points."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
