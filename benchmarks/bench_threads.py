"""CLI throughput by --threads on this machine as it is, busy or not. Prints figures.

    python benchmarks/bench_threads.py --posts 2000 [--busy 1] [--threads 1,2]

Runs `rumorclf classify` over the same generated JSONL (test-split posts repeated) with each
--threads value and with the default (no --threads: the CLI picks the idle cores), in rotation,
--rounds times, and prints posts/s (median over rounds) with the threads the default chose and
the load average. --busy N starts N CPU-bound processes for the duration (another job sharing the
cores), so the busy case can be measured on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def run_cli(src: Path, out: Path, model: str, threads: str | None) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "rumorclf.cli", "classify", str(src), "-o", str(out), "-m", model, "--overwrite"]
    if threads is not None:
        cmd += ["--threads", threads]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    chosen = next((x.split(":", 1)[1].strip() for x in proc.stderr.splitlines() if x.startswith("threads:")), "?")
    return secs, chosen


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "rumorclf" / "models" / "default"))
    p.add_argument("--posts", type=int, default=2000)
    p.add_argument("--threads", default=",".join(str(t) for t in sorted({1, os.cpu_count() or 1})))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--busy", type=int, default=0, help="CPU-bound processes to run alongside")
    args = p.parse_args()

    from bench_inference import load_texts

    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        if burners:
            time.sleep(2)
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "posts.jsonl"
            with open(src, "w", encoding="utf-8") as f:
                for i, text in enumerate(load_texts(args.posts)):
                    f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
            settings = [None, *args.threads.split(",")]
            secs: dict = {s: [] for s in settings}
            chosen = []
            print(json.dumps({"cpus": os.cpu_count(), "busy_processes": args.busy, "posts": args.posts,
                              "loadavg_before": os.getloadavg()}), flush=True)
            for _ in range(args.rounds):
                for s in settings:
                    t, c = run_cli(src, Path(d) / "out.jsonl", args.model, s)
                    secs[s].append(t)
                    if s is None:
                        chosen.append(c)
            for s in settings:
                med = statistics.median(secs[s])
                name = f"default (chose {'/'.join(chosen)})" if s is None else f"--threads {s}"
                print(f"{name:28s} {args.posts / med:7.1f} posts/s   median {med:6.1f} s over {args.rounds} rounds "
                      f"(start-up included)", flush=True)
            print(json.dumps({"loadavg_after": os.getloadavg()}))
    finally:
        for b in burners:
            b.kill()
            b.wait()


if __name__ == "__main__":
    main()
