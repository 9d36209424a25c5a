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


def swap_in_checkpoint(tmp, ckpt) -> None:
    """Move a freshly written checkpoint folder `tmp` into place at `ckpt`: the previous checkpoint
    is renamed aside first and deleted last, so a crash mid-save always leaves one whole checkpoint."""
    import shutil
    from pathlib import Path

    tmp, ckpt = Path(tmp), Path(ckpt)
    old = ckpt.with_name(ckpt.name + ".old")
    if ckpt.exists():
        ckpt.rename(old)
    tmp.rename(ckpt)
    if old.exists():
        shutil.rmtree(old)
