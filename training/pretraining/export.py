"""Export: the trained checkpoint as fp16 safetensors + tokenizer + pretraining.json + model card."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from .card import model_card
from .evaluation import char_eval, evaluate_mlm, unigram_baseline

log = logging.getLogger("rumorclf.pretrain")


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
    summary["layers"] = model.config.num_hidden_layers
    if "grown_from_layers" in state:
        summary["grown_from_layers"] = state["grown_from_layers"]
    this_stage = {k: summary.get(k) for k in ("layers", "steps", "tokens_seen", "wall_minutes", "batch_size", "seq_len",
                                              "lr", "masking", "dropout", "char_acc_heldout", "char_acc_real_dev")}
    summary["stages"] = state.get("stage", 1)
    # stages from before depths were recorded ran at the depth this stage started from
    start_layers = max(state["grown_from_layers"]) + 1 if "grown_from_layers" in state else summary["layers"]
    summary["stage_history"] = [{"layers": start_layers, **past} for past in (prior or {}).get("history") or []]
    summary["stage_history"].append(this_stage)
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
