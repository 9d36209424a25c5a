"""Pre-training of the base encoder, one module per concept.

| module | what |
|---|---|
| `args` | `PretrainArguments`: every setting, shared by the CLI and the Python API |
| `corpus` | reading and normalising lines, the 1% held-out split, encoding, `prepare` (the work dir) |
| `vocab` | the WordPiece vocabulary (special tokens, common emoji) |
| `objectives` | masking (single characters or whole words) and the masked-LM loss |
| `init` | the model config and its initialisation (sinusoidal positions, PPMI-SVD embeddings) |
| `evaluation` | whole-word MLM accuracy, unigram baseline, single-character accuracy |
| `loop` | the training loop, checkpoints and resume |
| `export`, `card` | the fp16 export and its model card |

`run(PretrainArguments(...))` is the Python API; `python -m training.pretrain` the CLI.
"""

from __future__ import annotations

import json
import logging

from .args import PretrainArguments

log = logging.getLogger("rumorclf.pretrain")

__all__ = ["PretrainArguments", "run"]


def run(args: PretrainArguments) -> dict:
    """Prepare the work dir, train (or resume), export when output_dir is set; the export summary
    (with output_dir) or the checkpoint state (without) is returned."""
    from .corpus import prepare
    from .export import export
    from .loop import train

    work = args.work_dir
    prepare(work, args)
    if args.masking == "word" and not json.loads((work / "corpus.json").read_text()).get("word_ids", True):
        raise SystemExit(f"{work} was encoded without jieba word boundaries (for --masking char); "
                         "use a new --work-dir for --masking word")
    if args.export_only:
        state = json.loads((work / "checkpoint" / "state.json").read_text())
    else:
        state = train(work, args)
    if args.output_dir:
        # also when the time budget stopped it early: a usable model now, and re-running resumes
        if state["step"] < args.max_steps:
            log.info("exporting the model at step %d of %d", state["step"], args.max_steps)
        return export(work, args.output_dir, args, state)
    return state
