"""The pre-training loop: optimiser, schedule, checkpoints and resume.

Checkpoint format (work_dir/checkpoint/): the model (save_pretrained), optimizer.pt (optimizer
and scheduler state) and state.json (step, tokens_seen, wall_seconds, history, stage, init_from).
Masks are seeded by [seed, stage, step] and the data order by [seed, stage, epoch], so an
interrupted run resumes to the same weights as an uninterrupted one.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import numpy as np

from .. import swap_in_checkpoint
from .evaluation import char_eval
from .init import grow_layers, init_embeddings, make_model
from .objectives import make_masks, masked_lm_loss

log = logging.getLogger("rumorclf.pretrain")


def _save_checkpoint(ckpt: Path, model, optimizer, scheduler, state: dict) -> None:
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(tmp))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
               tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=1))
    swap_in_checkpoint(tmp, ckpt)  # a crash mid-save leaves the previous checkpoint intact


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
        if args.grow_layers:
            state["grown_from_layers"] = grow_layers(model, args.grow_layers)
            log.info("grown to %d layers (copies of layers %s)", args.grow_layers, state["grown_from_layers"])
    elif args.grow_layers:
        raise SystemExit("--grow-layers needs --init-from (a trained model to stack)")
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
        out_of_time = time.time() > deadline
        # the step a stage stops at (max steps or the time budget) is always logged and evaluated,
        # so the card's learning curve ends where the exported model is
        last = step == args.max_steps or out_of_time
        if step % args.log_every == 0 or last:
            state["wall_seconds"] = time.time() - start_wall
            rec = {"step": step, "loss": float(np.mean(losses)), "tokens_seen": state["tokens_seen"],
                   "lr": scheduler.get_last_lr()[0], "minutes": round(state["wall_seconds"] / 60, 2)}
            losses = []
            if step % args.eval_every == 0 or last:
                rec.update(char_eval(model, tokenizer, work, args))
            state["history"].append(rec)
            log.info(json.dumps(rec))
        if time.time() - last_ckpt > args.checkpoint_minutes * 60 or step == args.max_steps or out_of_time:
            state["wall_seconds"] = time.time() - start_wall
            _save_checkpoint(ckpt, model, optimizer, scheduler, state)
            last_ckpt = time.time()
        if out_of_time:
            log.info("time budget reached at step %d; re-run to resume", step)
            break
    return state
