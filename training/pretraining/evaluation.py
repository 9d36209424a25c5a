"""Evaluation during pre-training: whole-word MLM accuracy, the unigram baseline, single-character accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .objectives import masked_lm_loss, whole_word_mask
from .vocab import SPECIAL_TOKENS


def evaluate_mlm(model, ids: np.ndarray, wids: np.ndarray, tokenizer, device: str,
                 batch_size: int = 64, seed: int = 1234, max_rows: int = 4000) -> dict:
    """Whole-word MLM accuracy on held-out sequences, same masks every time (fixed seed)."""
    import torch

    from rumorclf._runtime import autocast_context

    rng = np.random.default_rng(seed)
    ids, wids = ids[:max_rows], wids[:max_rows]
    correct = total = 0
    loss_sum = 0.0
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(ids), batch_size):
            inp, lab = whole_word_mask(ids[s:s + batch_size], wids[s:s + batch_size], rng,
                                       tokenizer.vocab_size, tokenizer.mask_token_id,
                                       len(SPECIAL_TOKENS))
            inp_t = torch.from_numpy(inp).long().to(device)
            lab_t = torch.from_numpy(lab).long().to(device)
            att = (inp_t != tokenizer.pad_token_id).long()
            with autocast_context(device):
                loss, pred, target = masked_lm_loss(model, inp_t, att, lab_t)
            n = int(target.numel())
            correct += int((pred == target).sum())
            total += n
            loss_sum += float(loss) * n
    model.train()
    return {"mlm_accuracy": correct / max(total, 1), "mlm_loss": loss_sum / max(total, 1),
            "masked_tokens": total}


def unigram_baseline(train_ids: np.ndarray, heldout_ids: np.ndarray, heldout_wids: np.ndarray,
                     tokenizer, seed: int = 1234, max_rows: int = 4000) -> dict:
    """Accuracy of always predicting the most frequent training token at the same masked positions."""
    counts = np.bincount(train_ids[train_ids >= len(SPECIAL_TOKENS)].ravel(), minlength=tokenizer.vocab_size)
    top = int(counts.argmax())
    rng = np.random.default_rng(seed)
    ids, wids = heldout_ids[:max_rows], heldout_wids[:max_rows]
    hits = total = 0
    for s in range(0, len(ids), 64):
        _, lab = whole_word_mask(ids[s:s + 64], wids[s:s + 64], rng, tokenizer.vocab_size,
                                 tokenizer.mask_token_id, len(SPECIAL_TOKENS))
        t = lab[lab != -100]
        hits += int((t == top).sum())
        total += len(t)
    return {"unigram_accuracy": hits / max(total, 1),
            "unigram_token": tokenizer.convert_ids_to_tokens(top)}


def char_eval(model, tokenizer, work: Path, args) -> dict:
    """Single-masked-character top-1 accuracy on held-out corpus lines and real_dev posts (flat keys)."""
    from ..data import real_dev_texts
    from ..mlm_eval import evaluate_encoder

    held = json.loads((work / "heldout_lines.json").read_text(encoding="utf-8"))[: args.eval_rows]
    real = real_dev_texts(args.real_dev)[: args.eval_rows] if args.real_dev and Path(args.real_dev).exists() else []
    res = evaluate_encoder(model, tokenizer, held, real)
    out = {}
    for name in ("heldout", "real_dev"):
        if name in res:
            out[f"char_acc_{name}"] = res[name]["accuracy"]
            out[f"unigram_{name}"] = res[name]["unigram_accuracy"]
    return out
