"""The base encoder's model card (README.md of the exported directory)."""

from __future__ import annotations


def _training_row(s: dict) -> str:
    row = (f"{s['steps']:,} steps x batch {s['batch_size']} x {s['seq_len']} tokens, lr {s['lr']}, "
           f"{s['tokens_seen']:,} tokens seen, {s['wall_minutes']} min wall time")
    if "total_steps" in s:
        row += (f"; continued from a checkpoint that had {s['init_from']['steps']:,} steps, so "
                f"{s['total_steps']:,} steps / {s['total_tokens_seen']:,} tokens / "
                f"{s['total_wall_minutes']} min in all")
    elif "init_from" in s:
        row += f"; continued from {s['init_from']['path']}"
    return row


def _f(v, fmt="{:.3f}") -> str:
    return "–" if v is None else fmt.format(v)


def model_card(config, s: dict) -> str:
    c = s["corpus"]
    stages = "\n".join(
        f"| {i} | {st.get('layers') or '–'} | {_f(st.get('steps'), '{:,}')} | {_f(st.get('tokens_seen'), '{:,}')} | {_f(st.get('wall_minutes'), '{}')} "
        f"| {st.get('batch_size')} x {st.get('seq_len')} | {st.get('lr')} | {st.get('masking')} | {st.get('dropout')} "
        f"| {_f(st.get('char_acc_heldout'))} | {_f(st.get('char_acc_real_dev'))} |"
        for i, st in enumerate(s.get("stage_history", []), 1))
    curve = "\n".join(f"| {h['step']:,} | {h['tokens_seen']:,} | {h['loss']:.3f} | {_f(h.get('char_acc_heldout'))} "
                       f"| {_f(h.get('char_acc_real_dev'))} |" for h in s.get("learning_curve", []))
    return f"""# rumorclf base-zh: a compact Chinese BERT pre-trained for rumorclf

A BERT encoder pre-trained here with masked-language modelling, as the base for rumorclf's
classifiers. Not a classifier by itself.

| | |
|---|---|
| architecture | BertForMaskedLM, {config.num_hidden_layers} layers x {config.hidden_size} hidden, {config.num_attention_heads} heads, {s['parameters'] / 1e6:.1f}M parameters |
| vocabulary | {config.vocab_size} WordPiece tokens (one per CJK character, ASCII word pieces, common emoji) |
| weights | fp16 safetensors |
| corpus | {c['train_lines']:,} training lines ({c['train_chars']:,} characters) from {', '.join(c['sources'])} |
| held-out | {c['heldout_lines']:,} lines (1% by content hash), never trained on |
| training | {_training_row(s)} |
| **single masked character, held-out corpus lines** | **{_f(s.get('char_acc_heldout'))}** top-1 (unigram baseline {_f(s.get('unigram_heldout'))}) |
| **single masked character, real Weibo posts (real_dev)** | **{_f(s.get('char_acc_real_dev'))}** top-1 (unigram baseline {_f(s.get('unigram_real_dev'))}) |
| held-out whole-word MLM accuracy | {s['mlm_accuracy']:.3f} (loss {s['mlm_loss']:.3f}; unigram {s['unigram_accuracy']:.3f}, "{s['unigram_token']}") |

The single-character figures mask one CJK character in seven (never special tokens or
punctuation) and predict it from both sides; the unigram baseline always guesses the commonest
character. `real_dev` posts are evaluation text only, never trained on.
`python -m training.mlm_eval DIR --corpus-dir ../shared/corpus --real-dev ../shared/real_dev/jin2017_weibo.jsonl`
recomputes them on more text.

## Stages (pre-training continues across sessions from the committed base)

| stage | layers | steps | tokens | minutes | batch x seq | lr | masking | dropout | char acc held-out | char acc real |
|---|---|---|---|---|---|---|---|---|---|---|
{stages}

## Learning curve of the last stage

| step | tokens seen | loss | char acc held-out | char acc real |
|---|---|---|---|---|
{curve}

Text is normalised with `rumorclf.normalize` (traditional to simplified, full-width to half-width,
scraped-page junk removed) before tokenisation, exactly as at inference time.

Reproduce: see "Pre-training" in `training/README.md`.
"""
