"""Pre-training objectives: masking (single tokens or whole jieba words) and the masked-LM loss."""

from __future__ import annotations

import numpy as np

from .vocab import SPECIAL_TOKENS


def whole_word_mask(ids: np.ndarray, wids: np.ndarray, rng: np.random.Generator, vocab_size: int,
                    mask_id: int, n_special: int, prob: float = 0.15):
    """BERT-style whole-word masking on a batch.

    Picks `prob` of the jieba words in each row; all their tokens become targets: 80% [MASK],
    10% a random token, 10% unchanged. Returns (inputs, labels) with labels -100 off target.
    """
    inputs = ids.copy()
    labels = np.full_like(ids, -100)
    rows, _ = ids.shape
    for r in range(rows):
        w = wids[r]
        n_words = int(w.max()) + 1
        if n_words <= 0:
            continue
        chosen = rng.random(n_words) < prob
        if not chosen.any():
            chosen[rng.integers(n_words)] = True
        target = (w >= 0) & chosen[np.maximum(w, 0)]
        labels[r, target] = ids[r, target]
        roll = rng.random(int(target.sum()))
        pos = np.flatnonzero(target)
        inputs[r, pos[roll < 0.8]] = mask_id
        rand_pos = pos[(roll >= 0.8) & (roll < 0.9)]
        inputs[r, rand_pos] = rng.integers(n_special, vocab_size, size=len(rand_pos))
    return inputs, labels


def token_word_ids(ids: np.ndarray, n_special: int) -> np.ndarray:
    """Word ids for single-token masking: every non-special token is its own word, specials -1."""
    wids = np.where(ids >= n_special, np.arange(ids.shape[1])[None, :], -1)
    return wids.astype(np.int32)


def make_masks(ids: np.ndarray, wids: np.ndarray, rng: np.random.Generator, tokenizer, masking: str,
               prob: float = 0.15):
    """(inputs, labels) for one batch: `masking` is "char" (single tokens) or "word" (jieba words)."""
    if masking == "char":
        wids = token_word_ids(ids, len(SPECIAL_TOKENS))
    elif masking != "word":
        raise ValueError(f"masking must be 'char' or 'word', not {masking!r}")
    return whole_word_mask(ids, wids, rng, tokenizer.vocab_size, tokenizer.mask_token_id,
                           len(SPECIAL_TOKENS), prob)


def masked_lm_loss(model, input_ids, attention_mask, labels):
    """MLM loss and predictions computed on masked positions only (skips the vocab projection elsewhere)."""
    import torch.nn.functional as F

    hidden = model.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    sel = labels != -100
    logits = model.cls(hidden[sel])
    target = labels[sel]
    loss = F.cross_entropy(logits.float(), target)
    return loss, logits.argmax(-1), target
