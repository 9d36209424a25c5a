"""fp32 against bf16 autocast by batch shape, and single-post latency per precision. Prints figures.

    python benchmarks/bench_precision.py --threads 2

1. The encoder alone (the default model's forward pass, what `TorchEncoder` runs) on padded
   batches of ROWS x WIDTH tokens, fp32 and bf16 timed in alternation, median of --repeats: which
   precision is faster at which batch size. `precision="auto"` uses bf16 from
   `rumorclf.backends.torch.BF16_MIN_ROWS` rows up on a CPU with native bf16, fp32 below.
2. Single-post latency (`clf.predict([post])`, normalisation and tokenisation included) over
   --latency-posts test posts with precision auto, fp32 and bf16: p50 and p99.
Timings on a shared machine move with its load: the figures are printed with the load average,
and `--clock cpu` times with this thread's CPU time instead of wall time (with --threads 1 the
model runs on this thread, so CPU time is the work done, whatever else the cores were running).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="model directory (default: the packaged model)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--rows", default="1,2,4,8,16,32")
    p.add_argument("--widths", default="32,64,128")
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--latency-posts", type=int, default=300)
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall: perf_counter; cpu: thread_time (meaningful with --threads 1)")
    p.add_argument("--stat", choices=("median", "min"), default="median",
                   help="per shape: median, or min (the least disturbed run, on a busy machine)")
    args = p.parse_args()
    stat = statistics.median if args.stat == "median" else min
    clock = time.perf_counter if args.clock == "wall" else time.thread_time

    import numpy as np
    import torch

    from bench_inference import load_texts
    from rumorclf import RumorClassifier
    from rumorclf._runtime import bf16_fast_on_cpu
    from rumorclf.backends.torch import BF16_MIN_ROWS

    torch.set_num_threads(args.threads)
    print(json.dumps({"threads": args.threads, "clock": args.clock, "stat": args.stat, "bf16_native": bf16_fast_on_cpu(), "BF16_MIN_ROWS": BF16_MIN_ROWS,
                      "loadavg_before": os.getloadavg()}))
    clfs = {prec: RumorClassifier.from_pretrained(args.model, precision=prec, threads=args.threads)
            for prec in ("auto", "fp32", "bf16")}
    rng = np.random.default_rng(0)
    vocab = clfs["fp32"].tokenizer.vocab_size

    print(f"{'rows':>4} {'width':>5} {'fp32 ms':>8} {'bf16 ms':>8} {'bf16/fp32':>9}")
    for rows in map(int, args.rows.split(",")):
        for width in map(int, args.widths.split(",")):
            ids = rng.integers(100, vocab, size=(rows, width), dtype=np.int64)
            mask = np.ones_like(ids)
            times = {"fp32": [], "bf16": []}
            for prec in times:  # warm-up (oneDNN picks kernels per shape on first use)
                clfs[prec].encoder(ids, mask)
            for _ in range(args.repeats):
                for prec in times:
                    t = clock()
                    clfs[prec].encoder(ids, mask)
                    times[prec].append(clock() - t)
            f, b = (stat(times[k]) * 1000 for k in ("fp32", "bf16"))
            print(f"{rows:>4} {width:>5} {f:>8.2f} {b:>8.2f} {b / f:>9.2f}", flush=True)

    posts = load_texts(args.latency_posts)
    lat = {k: [] for k in clfs}
    for clf in clfs.values():
        clf.predict(posts[:16])
    for x in posts:  # the three precisions in alternation, so load changes hit them alike
        for k, clf in clfs.items():
            t = clock()
            clf.predict([x])
            lat[k].append((clock() - t) * 1000)
    for k, v in lat.items():
        print(f"single post, precision {k:4s}: p50 {np.percentile(v, 50):6.2f} ms   p99 {np.percentile(v, 99):6.2f} ms"
              f"   ({len(v)} posts)")
    print(json.dumps({"loadavg_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
