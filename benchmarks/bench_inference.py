"""Side-by-side inference benchmark on this machine's CPU. Prints figures; asserts nothing.

    python benchmarks/bench_inference.py                      # all systems, test split x N >= 5000 posts
    python benchmarks/bench_inference.py --stream-posts 1000000   # also the CLI streaming run (peak RSS)
    python benchmarks/bench_inference.py --systems "" --stream-posts 100000 --threads 1   # only that
    python benchmarks/bench_inference.py --systems ngram-only,fast-torch   # the default's n-gram half alone

Systems, same texts and same thread count, each in its own process (clean peak RSS):
  fast-torch      our default model through RumorClassifier.predict (length buckets, bf16 where native)
  fast-torch-fp32 the same with fp32
  fast-onnx       ONNX Runtime fp32 export; fast-onnx-int8: int8 dynamic quantization
  ngram-only      the default's n-gram half alone (numpy), to see what the combination costs
  pipeline-ours   our default model through a plain transformers.pipeline("text-classification") loop
  pipeline-bert-base  BertConfig() defaults (vocab 21128, 12x768, random weights: the compute of
                  bert-base-chinese) through the same plain pipeline, on --base-posts posts
Single-post latency: p50/p99 over --latency-posts posts classified one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_texts(n: int) -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    texts = [r["text"] for r in rows]
    out = []
    while len(out) < n:
        out += texts
    return out[:n]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_system(name: str, model_dir: str, n: int, threads: int, latency_posts: int, batch_size: int) -> dict:
    """Runs inside a child process."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    texts = load_texts(n)
    lat_texts = texts[:latency_posts]
    if name == "ngram-only":
        # the combined default's n-gram half alone (numpy), on normalised text as the classifier gives it
        from rumorclf import RumorClassifier
        from rumorclf.normalize import normalize_text

        ngram = RumorClassifier.from_pretrained(model_dir, threads=threads).ngram
        if ngram is None:
            raise SystemExit(f"{model_dir} has no n-gram half")
        texts = [normalize_text(x) for x in texts]
        lat_texts = texts[:latency_posts]

        def run_all():
            ngram.logits(texts)

        def run_one(x):
            ngram.logits([x])
    elif name.startswith("fast"):
        from rumorclf import RumorClassifier

        kw = {"threads": threads}
        if name == "fast-torch-fp32":
            kw["precision"] = "fp32"
        path = model_dir
        if name.startswith("fast-onnx"):
            path = os.path.join(tempfile.gettempdir(), f"rumorclf-bench-{name}")
            from rumorclf.backends.onnx import export_onnx

            export_onnx(model_dir, path, int8=name.endswith("int8"))
            kw["backend"] = "onnx"
        clf = RumorClassifier.from_pretrained(path, **kw)
        clf.predict(texts[:64])  # warm-up

        def run_all():
            clf.predict(texts, batch_size=batch_size)

        def run_one(x):
            clf.predict([x])
    else:
        from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, pipeline

        if name == "pipeline-bert-base":
            tok = AutoTokenizer.from_pretrained(model_dir)
            cfg = BertConfig(vocab_size=21128, num_labels=15)  # bert-base-chinese shape
            model = BertForSequenceClassification(cfg).eval()
            pipe = pipeline("text-classification", model=model, tokenizer=tok, top_k=None,
                            function_to_apply="sigmoid", device=-1)
        else:
            pipe = pipeline("text-classification", model=model_dir, top_k=None, function_to_apply="sigmoid",
                            device=-1)
        # same window as our model (long posts truncated here: the pipeline has no sliding windows)
        max_len = json.loads((Path(model_dir) / "rumorclf.json").read_text())["max_length"]
        pipe(texts[:8], truncation=True, max_length=max_len)

        def run_one(x):
            pipe(x, truncation=True, max_length=max_len)

        def run_all():
            for x in texts:  # the plain loop a user writes
                run_one(x)

    # the same timing for every system: one pass over all posts, then single posts one at a time
    t = time.perf_counter()
    run_all()
    secs = time.perf_counter() - t
    lat = []
    for x in lat_texts:
        t1 = time.perf_counter()
        run_one(x)
        lat.append(time.perf_counter() - t1)
    lat_ms = np.array(lat) * 1000
    return {"system": name, "posts": n, "seconds": round(secs, 2), "posts_per_s": round(n / secs, 1),
            "p50_ms": round(float(np.percentile(lat_ms, 50)), 2), "p99_ms": round(float(np.percentile(lat_ms, 99)), 2),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def child(args) -> None:
    res = run_system(args.child, args.model, args.posts, args.threads, args.latency_posts, args.batch_size)
    print("RESULT " + json.dumps(res))


def spawn(name: str, args, posts: int) -> dict:
    cmd = [sys.executable, __file__, "--child", name, "--model", args.model, "--posts", str(posts),
           "--threads", str(args.threads), "--latency-posts", str(args.latency_posts), "--batch-size", str(args.batch_size)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")


def _proc_mb(pid: int, field: str) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(x.split()[1]) / 1024 for x in f if x.startswith(field))
    except (OSError, StopIteration):
        return None


def stream_cli(args) -> dict:
    """Generate N posts as JSONL, classify them with the CLI, and report the CLI's peak RSS.

    The peak (VmHWM) is also sampled while the run goes, against the records the CLI has committed
    (its .progress.json), so one run shows whether memory stays flat as the input grows.
    """
    import random

    rng = random.Random(0)
    base = load_texts(2000)
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as d:
        src, out = Path(d) / "posts.jsonl", Path(d) / "out.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            for i in range(args.stream_posts):
                f.write(json.dumps({"id": i, "text": rng.choice(base)}, ensure_ascii=False) + "\n")
        cmd = [sys.executable, "-m", "rumorclf.cli", "classify", str(src), "-o", str(out), "-m", args.model,
               "--threads", str(args.threads), "--no-progress"] + (["--backend", args.stream_backend]
                                                                     if args.stream_backend else [])
        progress_file = out.with_name(out.name + ".progress.json")
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples, marks = [], [m for m in (1_000, 10_000, 100_000, 250_000, 500_000) if m < args.stream_posts]
        while proc.poll() is None:
            time.sleep(2)
            try:
                done = json.loads(progress_file.read_text())["records_done"]
            except (OSError, ValueError, KeyError):
                continue
            hwm = _proc_mb(proc.pid, "VmHWM")
            if hwm is not None and (not samples or done > samples[-1][0]):
                samples.append((done, round(hwm, 1)))
                if marks and done >= marks[0]:
                    print(f"  cli-stream: {done:>9,} posts done, peak RSS so far {hwm:.1f} MB", flush=True)
                    while marks and done >= marks[0]:
                        marks.pop(0)
        stderr = proc.stderr.read()
        secs = time.perf_counter() - t
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        n_out = sum(1 for _ in open(out, "rb")) if out.exists() else 0
    if proc.returncode:
        raise RuntimeError(stderr[-2000:])
    return {"system": "cli-stream", "backend": args.stream_backend or "torch", "posts": args.stream_posts,
            "rows_out": n_out, "seconds": round(secs, 1), "posts_per_s": round(args.stream_posts / secs, 1),
            "peak_rss_mb": round(ru.ru_maxrss / 1024, 1), "peak_rss_by_posts": samples}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "rumorclf" / "models" / "default"))
    p.add_argument("--posts", type=int, default=5000)
    p.add_argument("--base-posts", type=int, default=500, help="posts for the slow bert-base pipeline")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--latency-posts", type=int, default=200)
    p.add_argument("--systems", default="fast-torch,fast-torch-fp32,fast-onnx,fast-onnx-int8,pipeline-ours,pipeline-bert-base")
    p.add_argument("--stream-posts", type=int, default=0, help="also run the CLI over this many generated posts")
    p.add_argument("--stream-backend", default=None, help="--backend for the streaming run (default: the CLI's)")
    p.add_argument("--tmp-dir", default=None, help="where the streaming run writes its input and output")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)
    import torch

    from rumorclf._runtime import bf16_fast_on_cpu

    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "threads": args.threads,
               "torch": torch.__version__, "bf16_native": bf16_fast_on_cpu()}
    try:
        machine["cpu"] = next(x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo") if x.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print("machine:", json.dumps(machine))
    results = []
    for name in filter(None, args.systems.split(",")):  # --systems "" runs only the streaming run
        n = args.base_posts if name == "pipeline-bert-base" else args.posts
        r = spawn(name, args, n)
        results.append(r)
        print(f"{r['system']:20s} {r['posts_per_s']:9.1f} posts/s   p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms   "
              f"peak RSS {r['peak_rss_mb']:7.1f} MB   ({r['posts']} posts)", flush=True)
    by = {r["system"]: r for r in results}
    if "fast-torch" in by:
        for other in ("pipeline-bert-base", "pipeline-ours"):
            if other in by:
                print(f"fast-torch / {other}: {by['fast-torch']['posts_per_s'] / by[other]['posts_per_s']:.1f}x posts/s")
        best = max((r for r in results if r["system"].startswith("fast")), key=lambda r: r["posts_per_s"])
        if "pipeline-bert-base" in by:
            print(f"best fast path ({best['system']}) / pipeline-bert-base: "
                  f"{best['posts_per_s'] / by['pipeline-bert-base']['posts_per_s']:.1f}x posts/s")
    if args.stream_posts:
        r = stream_cli(args)
        results.append(r)
        print(f"cli-stream: {r['posts']} posts in {r['seconds']} s ({r['posts_per_s']} posts/s), "
              f"{r['rows_out']} rows out, peak RSS {r['peak_rss_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=1))


if __name__ == "__main__":
    main()
