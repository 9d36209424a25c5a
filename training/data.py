"""Labelled data: reading and validating `data/*.jsonl`, multi-hot label matrices, near-duplicates.

JSONL is read with rumorclf's one reader (`rumorclf.io`). Also where the repo's default data lives. Paths: `DATA_DIR` and `REAL_DEV` are defaults only in a source checkout (the
folder above `training/` holds `pyproject.toml` and `data/`); after a wheel install they are None
and the data must be passed in (`require_data_dir` says so in one clear error).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rumorclf.io import load_jsonl
from rumorclf.io import read_jsonl as read_jsonl_lines
from rumorclf.taxonomy import Taxonomy


def _checkout_root() -> Path | None:
    """The source checkout this package runs from, or None when installed (e.g. from a wheel)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "training").is_dir() else None


CHECKOUT_ROOT = _checkout_root()
DATA_DIR: Path | None = CHECKOUT_ROOT / "data" if CHECKOUT_ROOT and (CHECKOUT_ROOT / "data").is_dir() else None
# real Weibo posts nobody on the project wrote (see its README): evaluation and model selection only
REAL_DEV: Path | None = (CHECKOUT_ROOT.parent / "shared" / "real_dev" / "jin2017_weibo.jsonl"
                         if CHECKOUT_ROOT else None)
SPLITS = ("train", "dev", "test")


def require_data_dir() -> Path:
    """DATA_DIR, or a clear error when there is no source checkout with a data/ folder."""
    if DATA_DIR is None:
        raise FileNotFoundError("no default labelled data here: data/ exists only in a source checkout of "
                                "rumorclf; pass the files explicitly (--train/--dev, or a JSONL path)")
    return DATA_DIR


def default_data_file(split: str) -> str | None:
    """data/<split>.jsonl of the source checkout as a string default, None when there is none."""
    return str(DATA_DIR / f"{split}.jsonl") if DATA_DIR else None


def default_real_dev() -> str | None:
    """The real_dev posts next to the checkout (../shared/real_dev) when present."""
    return str(REAL_DEV) if REAL_DEV and REAL_DEV.exists() else None


def read_real_dev(path: str | Path) -> list[dict]:
    """real_dev posts: records with text, source_label and enterprise_related."""
    return load_jsonl(path)


def real_dev_texts(path: str | Path) -> list[str]:
    """The texts of the real_dev posts (evaluation text only, never training text)."""
    return [r["text"] for r in read_real_dev(path)]
REQUIRED = {"id": str, "text": str, "labels": list}
OPTIONAL = {"platform": str, "notes": str, "hard_negative": bool, "evasive": bool}


@dataclass
class Example:
    id: str
    text: str
    labels: list[str]
    platform: str = ""
    notes: str = ""
    hard_negative: bool = False
    evasive: bool = False


def read_jsonl(path: str | Path, taxonomy: Taxonomy | None = None) -> tuple[list[Example], list[str]]:
    """Parse a labelled JSONL file. Returns (examples, problems); problems name file and line."""
    tax = taxonomy or Taxonomy.default()
    known = set(tax.labels)
    examples, problems = [], []
    path = Path(path)
    for n, d, problem, _ in read_jsonl_lines(path):
        where = f"{path.name}:{n}"
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        if not isinstance(d, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        bad = [k for k, t in REQUIRED.items() if not isinstance(d.get(k), t)]
        bad += [k for k, t in OPTIONAL.items() if k in d and not isinstance(d[k], t)]
        if bad:
            problems.append(f"{where}: missing or mistyped fields {bad}")
            continue
        unknown = [x for x in d["labels"] if x not in known]
        if unknown:
            problems.append(f"{where}: unknown labels {unknown}")
            continue
        if len(set(d["labels"])) != len(d["labels"]):
            problems.append(f"{where}: repeated label")
        if not d["text"].strip():
            problems.append(f"{where}: empty text")
        if d.get("hard_negative") and d["labels"]:
            problems.append(f"{where}: hard_negative set on a positive post")
        examples.append(Example(d["id"], d["text"], list(d["labels"]), d.get("platform", ""),
                                d.get("notes", ""), bool(d.get("hard_negative", False)),
                                bool(d.get("evasive", False))))
    return examples, problems


def load_split(split_or_path: str | Path, taxonomy: Taxonomy | None = None) -> list[Example]:
    """Load `train`/`dev`/`test` from data/, or any JSONL path; raise on malformed records."""
    path = Path(split_or_path)
    if str(split_or_path) in SPLITS:
        path = require_data_dir() / f"{split_or_path}.jsonl"
    examples, problems = read_jsonl(path, taxonomy)
    if problems:
        raise ValueError(f"{len(problems)} problems in {path}: " + "; ".join(problems[:5]))
    return examples


def multi_hot(examples: list[Example], labels: list[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.zeros((len(examples), len(labels)), dtype=np.float32)
    for r, ex in enumerate(examples):
        for lab in ex.labels:
            y[r, index[lab]] = 1.0
    return y


def char_ngrams(text: str, n: int = 5) -> set[str]:
    from rumorclf.normalize import normalize_text

    t = "".join(normalize_text(text).split())
    if len(t) < n:
        return {t}
    return {t[i:i + n] for i in range(len(t) - n + 1)}


def near_duplicates(texts_a: list[str], texts_b: list[str] | None = None, threshold: float = 0.5,
                    n: int = 5, max_df: int = 30) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose character n-gram sets overlap >= threshold.

    Within one list when texts_b is None, else across the two lists. An inverted index over
    n-grams finds candidates; n-grams shared by more than max_df texts (boilerplate) are skipped.
    """
    grams_a = [char_ngrams(t, n) for t in texts_a]
    grams_b = grams_a if texts_b is None else [char_ngrams(t, n) for t in texts_b]
    index: dict[str, list[int]] = defaultdict(list)
    for j, g in enumerate(grams_b):
        for x in g:
            index[x].append(j)
    pairs = []
    for i, g in enumerate(grams_a):
        shared: dict[int, int] = defaultdict(int)
        for x in g:
            post = index.get(x, ())
            if len(post) > max_df:
                continue
            for j in post:
                shared[j] += 1
        for j, inter in shared.items():
            if texts_b is None and j <= i:
                continue
            union = len(g) + len(grams_b[j]) - inter
            # the n-grams skipped as boilerplate are not counted; this under-estimates, never over
            jac = inter / union if union else 1.0
            if jac >= threshold:
                pairs.append((i, j, round(jac, 3)))
    return pairs
