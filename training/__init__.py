"""Training, pre-training and evaluation for rumorclf. Imports `rumorclf`; never the reverse."""

import logging
import os


def configure_run(quiet: bool = False) -> None:
    """Logging and tokenizer settings shared by the training entry points."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
