"""How much Chinese an encoder knows: top-1 accuracy on single masked CJK characters.

    python -m training.mlm_eval rumorclf/models/base-zh \
        --corpus-dir ../shared/corpus --real-dev ../shared/real_dev/jin2017_weibo.jsonl

One character in seven is masked (only tokens that are a single CJK character: never special
tokens, punctuation, digits or Latin pieces), always with [MASK], the same positions on every run
(fixed seed), and the model predicts each from both sides. Next to it: the unigram baseline,
always guessing the commonest CJK character, on the same masks. Two text sets:
- held-out corpus lines (1% of ../shared/corpus by content hash, never trained on);
- real Weibo posts nobody on the project wrote (`real_dev`: evaluation only, never training text).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .data import real_dev_texts

# the name pre-training code imported from here before issue 17 (texts only); one definition, in data.py
read_real_dev = real_dev_texts

MASK_RATE = 1 / 7
EVAL_SEED = 1234


def cjk_token_mask(tokenizer) -> np.ndarray:
    """Boolean over the vocabulary: True where the token is exactly one CJK character."""
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return np.array([len(t) == 1 and ("\u4e00" <= t <= "\u9fff" or "\u3400" <= t <= "\u4dbf") for t in vocab])


def single_char_masks(ids: np.ndarray, is_cjk: np.ndarray, mask_id: int, seed: int = EVAL_SEED,
                      rate: float = MASK_RATE) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels): each single-CJK-character token masked with probability `rate`; -100 elsewhere."""
    rng = np.random.default_rng(seed)
    chosen = is_cjk[ids] & (rng.random(ids.shape) < rate)
    inputs = np.where(chosen, mask_id, ids)
    labels = np.where(chosen, ids, -100)
    return inputs, labels


def encode_texts(tokenizer, texts: Sequence[str], max_length: int = 128) -> np.ndarray:
    """Normalise like inference input, one row per text, truncated and padded to max_length."""
    from rumorclf.normalize import normalize_text

    enc = tokenizer([normalize_text(t) for t in texts], truncation=True, max_length=max_length,
                    padding="max_length", return_tensors="np")
    return enc["input_ids"].astype(np.int64)


def masked_char_accuracy(model, tokenizer, ids: np.ndarray, unigram_id: int | None = None,
                         batch_size: int = 128, device: str = "cpu") -> dict:
    """Top-1 accuracy of `model` (a *ForMaskedLM) on the fixed single-character masks of `ids`."""
    import torch

    from rumorclf._runtime import autocast_context

    is_cjk = cjk_token_mask(tokenizer)
    inputs, labels = single_char_masks(ids, is_cjk, tokenizer.mask_token_id)
    hits = total = 0
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(ids), batch_size):
            x = torch.from_numpy(inputs[s:s + batch_size]).long().to(device)
            y = torch.from_numpy(labels[s:s + batch_size]).long().to(device)
            sel = y != -100
            if not sel.any():
                continue
            with autocast_context(device):
                logits = model(input_ids=x, attention_mask=(x != tokenizer.pad_token_id).long()).logits
            hits += int((logits[sel].argmax(-1) == y[sel]).sum())
            total += int(sel.sum())
    model.train(was_training)
    out = {"accuracy": hits / max(total, 1), "masked_chars": total}
    if unigram_id is not None:
        t = labels[labels != -100]
        out["unigram_accuracy"] = float((t == unigram_id).mean()) if len(t) else 0.0
    return out


def commonest_char(tokenizer, ids: np.ndarray) -> int:
    """The most frequent single-CJK-character token in `ids` (the unigram guess)."""
    counts = np.bincount(np.asarray(ids).ravel(), minlength=len(tokenizer)) * cjk_token_mask(tokenizer)
    return int(counts.argmax())


def heldout_corpus_lines(dirs: Sequence[str | Path], limit: int = 4000) -> list[str]:
    """The first `limit` held-out lines of the corpus (same hash rule as pre-training)."""
    from rumorclf.normalize import normalize_text

    from .pretraining.corpus import is_heldout, iter_dir_lines

    out = []
    for raw in iter_dir_lines(dirs):
        text = normalize_text(raw)
        if len(text) >= 5 and is_heldout(text):
            out.append(text)
            if len(out) >= limit:
                break
    return out


def evaluate_encoder(model, tokenizer, heldout: Sequence[str] = (), real: Sequence[str] = (),
                     unigram_id: int | None = None, max_length: int = 128) -> dict:
    """Both figures and their unigram baselines; `unigram_id` defaults to the commonest char of the texts."""
    sets = {name: encode_texts(tokenizer, texts, max_length) for name, texts in
            (("heldout", heldout), ("real_dev", real)) if len(texts)}
    if unigram_id is None and sets:
        unigram_id = commonest_char(tokenizer, np.concatenate(list(sets.values())))
    out = {}
    for name, ids in sets.items():
        m = masked_char_accuracy(model, tokenizer, ids, unigram_id)
        out[name] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}
    if unigram_id is not None:
        out["unigram_char"] = tokenizer.convert_ids_to_tokens(unigram_id)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a BERT-family checkpoint directory with a masked-LM head")
    p.add_argument("--corpus-dir", action="append", default=[], help="corpus folder of *.txt (held-out lines)")
    p.add_argument("--real-dev", default=None, help="real posts, JSONL with a text field (evaluation only)")
    p.add_argument("--limit", type=int, default=3000, help="texts per set")
    a = p.parse_args(argv)
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    if not a.corpus_dir and not a.real_dev:
        p.error("give --corpus-dir and/or --real-dev")
    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForMaskedLM.from_pretrained(a.model, dtype=torch.float32)
    held = heldout_corpus_lines(a.corpus_dir, a.limit) if a.corpus_dir else []
    real = real_dev_texts(a.real_dev)[: a.limit] if a.real_dev else []
    res = evaluate_encoder(model, tok, held, real)
    json.dump(res, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return res


if __name__ == "__main__":
    main()
