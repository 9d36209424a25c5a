"""Do `--explain` evidence spans point at the phrase that carries the label? Prints figures.

    python benchmarks/evidence_overlap.py [--model DIR] [--show 10]

`benchmarks/evidence_phrases.jsonl` holds 75 infringing dev posts (5 per category, single-label,
at most 160 characters, drawn with random.Random(16) from data/dev.jsonl), each annotated by hand
with the harmful phrase(s): the words that make it that category (the claim, the offer, the
threat, the call to action), not the company name. Every label is forced on (threshold 0) so
the gold label's evidence is computed whatever the model's decision, and:

  span precision  share of all evidence spans that overlap a harmful phrase (one shared character)
  top-1 hit       share of posts whose strongest span overlaps one
  chance          the span precision of spans of the same lengths (in words) placed at random on
                  the post's content words, 50 draws each (harmful phrases cover much of a short
                  post: this is the floor to beat)
  weight          median weight (score drop) of the strongest span
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHANCE_DRAWS = 50  # random placements per span for the chance figure


def overlaps(s: int, e: int, phrases: list[tuple[int, int]]) -> bool:
    return any(s < pe and ps < e for ps, pe in phrases)


def phrase_spans(text: str, phrases: list[str]) -> list[tuple[int, int]]:
    spans = []
    for p in phrases:
        i = text.find(p)
        while i >= 0:
            spans.append((i, i + len(p)))
            i = text.find(p, i + 1)
    return spans


def load_rows(path: Path = HERE / "evidence_phrases.jsonl") -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def evaluate(clf, rows: list[dict], show: int = 0) -> dict:
    """The figures of the module docstring for classifier `clf` on annotated `rows`."""
    from rumorclf.analysis.explain import content_words
    from rumorclf.normalize import normalize

    rnd = random.Random(0)
    spans_hit = spans_all = top1 = posts = 0
    chance_hit = chance_all = 0
    weights = []
    # threshold 0: every label is predicted, so each post has evidence for its gold label
    preds = clf.predict([r["text"] for r in rows], threshold=0.0, explain=True)
    for k, (r, pred) in enumerate(zip(rows, preds)):
        gold = r["labels"][0]
        ev = pred.evidence.get(gold, [])
        harmful = phrase_spans(r["text"], r["harmful"])
        posts += 1
        hits = [overlaps(x["start"], x["end"], harmful) for x in ev]
        spans_hit += sum(hits)
        spans_all += len(ev)
        top1 += bool(hits and hits[0])
        if ev:
            weights.append(ev[0]["weight"])
        # chance: the same number of spans, same lengths in words, at random word positions
        nt = normalize(r["text"])
        words = [(nt.offsets[s], nt.offsets[e - 1] + 1) for s, e in content_words(nt.text)]
        for x in ev:
            n = max(1, sum(1 for s, e in words if x["start"] <= s and e <= x["end"]))
            for _ in range(CHANCE_DRAWS):
                i = rnd.randrange(max(1, len(words) - n + 1))
                s, e = words[i][0], words[min(i + n, len(words)) - 1][1]
                chance_hit += overlaps(s, e, harmful)
                chance_all += 1
        if k < show:
            shown = " | ".join(f"{x['text']}({x['weight']:.3f}){'*' if h else ''}" for x, h in zip(ev, hits))
            print(f"{r['id']} {gold} score {pred.scores[gold]:.3f}: {shown}")
    return {
        "posts": posts, "spans": spans_all,
        "span_precision": round(spans_hit / max(spans_all, 1), 3),
        "top1_hit": round(top1 / max(posts, 1), 3),
        "chance_span_precision": round(chance_hit / max(chance_all, 1), 3),
        "median_top_weight": round(statistics.median(weights), 4) if weights else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="model directory (default: the packaged model)")
    p.add_argument("--data", type=Path, default=HERE / "evidence_phrases.jsonl")
    p.add_argument("--show", type=int, default=0, help="print the evidence of the first N posts")
    args = p.parse_args()

    from rumorclf import RumorClassifier

    clf = RumorClassifier.from_pretrained(args.model, precision="fp32")
    res = evaluate(clf, load_rows(args.data), args.show)
    print(json.dumps({**res, "model": str(getattr(clf, "path", args.model))}))


if __name__ == "__main__":
    main()
