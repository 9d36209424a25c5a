"""Ray engine vs the single-process engine, same file, same machine. Prints figures.

    python benchmarks/bench_ray.py --posts 5000 --num-actors 2

Runs `rumorclf classify` twice over the same generated JSONL (test-split posts repeated):
`--engine local` with all threads, then `--engine ray --num-actors N` (one thread per actor),
and reports wall time including start-up (Ray's start and per-actor model loads are a real cost
of using it) and posts/s. Also checks the two outputs hold the same labels. Needs the `ray` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str]) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "rumorclf" / "models" / "default"))
    p.add_argument("--posts", type=int, default=5000)
    p.add_argument("--num-actors", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads of the local engine")
    args = p.parse_args()

    from bench_inference import load_texts  # the same posts as the inference benchmark

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "posts.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            for i, text in enumerate(load_texts(args.posts)):
                f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
        base = [sys.executable, "-m", "rumorclf.cli", "classify", str(src), "-m", args.model, "--no-progress"]
        local_out, ray_out = Path(d) / "local.jsonl", Path(d) / "ray.jsonl"
        t_local = run(base + ["-o", str(local_out), "--threads", str(args.threads)])
        t_ray = run(base + ["-o", str(ray_out), "--engine", "ray", "--num-actors", str(args.num_actors),
                            "--threads", "1"])
        a = [json.loads(x)["pred_labels"] for x in local_out.read_text(encoding="utf-8").splitlines()]
        b = [json.loads(x)["pred_labels"] for x in ray_out.read_text(encoding="utf-8").splitlines()]
    same = sum(x == y for x, y in zip(a, b)) / max(len(a), 1)
    for name, secs in (("local", t_local), (f"ray-{args.num_actors}-actors", t_ray)):
        print(json.dumps({"engine": name, "posts": args.posts, "seconds": round(secs, 1),
                          "posts_per_s": round(args.posts / secs, 1)}))
    print(json.dumps({"ray_over_local": round(t_local / t_ray, 2), "same_labels": round(same, 4),
                      "rows": [len(a), len(b)]}))


if __name__ == "__main__":
    main()
