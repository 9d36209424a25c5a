"""Check the labelled data: schema, label ids, counts per label and split, quotas, near-duplicates.

    python -m training.data_check            # data/train.jsonl, dev.jsonl, test.jsonl
    python -m training.data_check --data-dir DIR --taxonomy my_taxonomy.json

Exits 1 on any schema problem, duplicate id, cross-split near-duplicate (character 5-gram
Jaccard >= --threshold) or unmet quota; near-duplicates inside train are reported, not fatal.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rumorclf.taxonomy import Taxonomy

from .data import DATA_DIR, SPLITS, near_duplicates, read_jsonl

# minimum posts per category / normal posts, by split (data v2: >= 250 a category in train)
QUOTAS = {"train": (250, 1500), "dev": (50, 300), "test": (60, 400)}
MIN_POSTS = {"train": 8000, "dev": 1500, "test": 1500}
MIN_HARD_NEGATIVE_SHARE = 0.5
MIN_MULTILABEL_SHARE = 0.15
MIN_EVASIVE_SHARE = 0.10


def stats(examples, labels) -> dict:
    per_label = Counter(lab for ex in examples for lab in ex.labels)
    normal = [ex for ex in examples if not ex.labels]
    positive = [ex for ex in examples if ex.labels]
    lengths = sorted(len(ex.text) for ex in examples) or [0]
    return {
        "posts": len(examples),
        "per_label": {lab: per_label.get(lab, 0) for lab in labels},
        "normal": len(normal),
        "hard_negative": sum(ex.hard_negative for ex in normal),
        "positive": len(positive),
        "multi_label": sum(len(ex.labels) >= 2 for ex in positive),
        "evasive": sum(ex.evasive for ex in examples),
        "min_len": lengths[0], "median_len": lengths[len(lengths) // 2], "max_len": lengths[-1],
        "platforms": len({ex.platform for ex in examples}),
    }


def check(data_dir: Path, taxonomy: Taxonomy, threshold: float = 0.5, quotas: bool = True,
          out=sys.stdout) -> list[str]:
    """Run all checks, print the report, return the list of failures (empty = pass)."""
    failures: list[str] = []
    splits = {}
    for split in SPLITS:
        path = data_dir / f"{split}.jsonl"
        if not path.exists():
            failures.append(f"{path} missing")
            continue
        examples, problems = read_jsonl(path, taxonomy)
        failures += problems
        splits[split] = examples
    labels = taxonomy.labels

    # counts table
    table = {s: stats(ex, labels) for s, ex in splits.items()}
    print(f"{'label':28s}" + "".join(f"{s:>8s}" for s in table), file=out)
    for lab in labels:
        print(f"{lab:28s}" + "".join(f"{t['per_label'][lab]:8d}" for t in table.values()), file=out)
    rows = [("normal ([])", "normal"), ("  of which hard negatives", "hard_negative"), ("positive posts", "positive"),
            ("  with 2+ labels", "multi_label"), ("evasive spellings", "evasive"), ("total posts", "posts"),
            ("min length", "min_len"), ("median length", "median_len"), ("max length", "max_len"),
            ("platforms", "platforms")]
    for name, key in rows:
        print(f"{name:28s}" + "".join(f"{t[key]:8d}" for t in table.values()), file=out)
    for s, t in table.items():
        ml = t["multi_label"] / max(t["positive"], 1)
        hn = t["hard_negative"] / max(t["normal"], 1)
        ev = t["evasive"] / max(t["posts"], 1)
        print(f"{s}: multi-label share of positives {ml:.1%}, hard-negative share of normals {hn:.1%}, "
              f"evasive share {ev:.1%}", file=out)
        if quotas and s in QUOTAS:
            min_cat, min_norm = QUOTAS[s]
            short = [lab for lab in labels if t["per_label"][lab] < min_cat]
            if short:
                failures.append(f"{s}: fewer than {min_cat} posts for {short}")
            if t["posts"] < MIN_POSTS.get(s, 0):
                failures.append(f"{s}: {t['posts']} posts < {MIN_POSTS[s]}")
            if t["normal"] < min_norm:
                failures.append(f"{s}: {t['normal']} normal posts < {min_norm}")
            if hn < MIN_HARD_NEGATIVE_SHARE:
                failures.append(f"{s}: hard negatives are {hn:.1%} of normal posts < {MIN_HARD_NEGATIVE_SHARE:.0%}")
            if ml < MIN_MULTILABEL_SHARE:
                failures.append(f"{s}: multi-label share {ml:.1%} < {MIN_MULTILABEL_SHARE:.0%}")
            if ev < MIN_EVASIVE_SHARE:
                failures.append(f"{s}: evasive share {ev:.1%} < {MIN_EVASIVE_SHARE:.0%}")

    # ids unique across all splits
    ids = Counter(ex.id for exs in splits.values() for ex in exs)
    dup_ids = [i for i, c in ids.items() if c > 1]
    if dup_ids:
        failures.append(f"duplicate ids: {dup_ids[:10]}")

    # exact and near duplicates
    for s, exs in splits.items():
        texts = [ex.text for ex in exs]
        exact = len(texts) - len(set(texts))
        near = near_duplicates(texts, threshold=threshold)
        print(f"{s}: {exact} exact duplicates, {len(near)} near-duplicate pairs inside the split", file=out)
        for i, j, jac in near[:5]:
            print(f"   {jac:.2f}  {exs[i].id}: {exs[i].text[:40]}  |  {exs[j].id}: {exs[j].text[:40]}", file=out)
        if exact and s != "train":
            failures.append(f"{s}: {exact} exact duplicate texts")
    names = list(splits)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            sa, sb = names[a], names[b]
            pairs = near_duplicates([e.text for e in splits[sa]], [e.text for e in splits[sb]], threshold=threshold)
            print(f"{sa} x {sb}: {len(pairs)} cross-split near-duplicate pairs (5-gram Jaccard >= {threshold})",
                  file=out)
            for i, j, jac in pairs[:10]:
                failures.append(f"cross-split near duplicate {jac:.2f}: {splits[sa][i].id} ~ {splits[sb][j].id}")
    print("PASS" if not failures else f"FAIL: {len(failures)} problems", file=out)
    for f in failures[:50]:
        print("  -", f, file=out)
    return failures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DATA_DIR)
    p.add_argument("--taxonomy", type=Path, default=None)
    p.add_argument("--threshold", type=float, default=0.5, help="5-gram Jaccard for a near duplicate")
    p.add_argument("--no-quotas", action="store_true", help="skip the per-split count quotas")
    args = p.parse_args(argv)
    failures = check(args.data_dir, Taxonomy.load(args.taxonomy), args.threshold, not args.no_quotas)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
