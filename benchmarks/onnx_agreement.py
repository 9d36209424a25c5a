"""Agreement of the ONNX backends with the torch backend on a labelled split. Prints figures.

    python benchmarks/onnx_agreement.py                 # default model, data/test.jsonl

For fp32 ONNX and int8 (dynamic quantization) ONNX against torch fp32, on the same posts:
share of posts with the same label set, max and mean absolute score difference, and macro-F1
of each (so the cost of int8 is visible). Needs the `onnx` extra and the `train` extra.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "rumorclf" / "models" / "default"))
    p.add_argument("--data", default=str(ROOT / "data" / "test.jsonl"))
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args()

    from rumorclf import RumorClassifier
    from rumorclf.backends.onnx import export_onnx
    from training.data import load_split, multi_hot
    from training.metrics import compute_metrics, predict_sets

    ref = RumorClassifier.from_pretrained(args.model, precision="fp32", threads=args.threads or None)
    examples = load_split(args.data, ref.taxonomy)
    texts = [e.text for e in examples]
    y = multi_hot(examples, ref.labels)
    thr = np.array([ref.thresholds[lab] for lab in ref.labels])
    base_scores = ref.predict_proba(texts)
    base_pred = predict_sets(base_scores, thr)
    results = [{"system": "torch-fp32", "posts": len(texts),
                "macro_f1": round(compute_metrics(y, base_pred, ref.labels)["macro_f1"], 4)}]
    with tempfile.TemporaryDirectory() as d:
        for name, int8 in (("onnx-fp32", False), ("onnx-int8", True)):
            out = Path(d) / name
            export_onnx(args.model, out, int8=int8)
            clf = RumorClassifier.from_pretrained(out, backend="onnx", threads=args.threads or None)
            scores = clf.predict_proba(texts)
            pred = predict_sets(scores, thr)
            diff = np.abs(scores - base_scores)
            results.append({
                "system": name, "posts": len(texts),
                "same_label_set": round(float((pred == base_pred).all(1).mean()), 4),
                "max_score_diff": round(float(diff.max()), 4),
                "mean_score_diff": round(float(diff.mean()), 5),
                "macro_f1": round(compute_metrics(y, pred, ref.labels)["macro_f1"], 4),
            })
    for r in results:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
