"""Evidence spans for predicted labels, measured on the model (not by keyword lists).

For every post with at least one predicted label, the clean (normalised) text is cut into words
with jieba; pure whitespace/punctuation words are skipped and the normaliser's "[URL]" placeholder
is one word. The candidate spans are the runs of 1 to `span_words` consecutive words (a word and
its neighbours: "老板|跑路|了"). Each candidate is scored ON ITS OWN, as if it were the whole post,
through the classifier's own batched scorer (`clf.score_normalized`): all distinct candidates of
all posts go to one call. For each predicted label, the candidates that score highest for it are
its evidence: the phrase that carries the label by itself.

Why the span's own score (sufficiency) and not the drop when a word is removed (occlusion, used
before): a confident post says its label several times over ("老板跑路了，工厂停工，欠薪三个月"), so
removing any one word barely moves a score near 1, and the ranking of those tiny drops picked
filler ("你们", "被", "1000"; weights 0.0003-0.04). Scored alone, the phrase that carries the label
stands out. On 75 hand-annotated infringing dev posts (benchmarks/evidence_overlap.py, shipped
model v1.1) the share of spans overlapping the annotated harmful phrase went from 0.56 (chance
for spans of those lengths 0.52) to 0.72 (chance 0.59), the strongest span hit it in 75% of
posts instead of 60%, and its median weight is 0.99 instead of 0.03. It is also cheaper: the
candidates are short texts, not copies of the whole post (300 test posts: 57-61 s of CPU instead
of 118-125 s, one thread).

Long posts: a post with more than `max_words` content words has its words grouped into
`max_words` runs of consecutive words first, and the candidates are runs of those groups, so the
whole post is still covered, with coarser spans.

Result: `pred.evidence = {label: [{"text", "start", "end", "weight"}, ...]}` for every predicted
label (posts with none get `{}`). `weight` is the label's score in [0, 1] for the span on its own
(the same score a post gets). Each label keeps its strongest span, and up to `top_k` in all:
non-overlapping spans with distinct texts whose weight reaches `min_weight`, by default the
model's threshold for the label (spans that would flag the post by themselves). `start`/`end` are
offsets into the ORIGINAL post (original[start:end] == text), valid when the normaliser changed
the text; spans are sorted by weight, largest first.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

import numpy as np

__all__ = ["content_words", "explain_predictions"]

_URL_TOKEN = "[URL]"
_URL_SPLIT_RE = re.compile(re.escape(_URL_TOKEN))


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _is_content(word: str) -> bool:
    return any(not (c.isspace() or unicodedata.category(c).startswith(("P", "Z", "C"))) for c in word)


def content_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of the jieba words of `text` that are not pure whitespace/punctuation."""
    out: list[tuple[int, int]] = []
    jieba = _jieba()
    pos = 0
    for m in [*_URL_SPLIT_RE.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        if end > pos:
            for word, s, e in jieba.tokenize(text[pos:end]):
                if _is_content(word):
                    out.append((pos + s, pos + e))
        if m is not None:
            out.append((m.start(), m.end()))
            pos = m.end()
    return out


def _units(words: list[tuple[int, int]], max_words: int) -> list[list[tuple[int, int]]]:
    """Span units: one per word, or `max_words` runs of consecutive words for long posts."""
    if len(words) <= max_words:
        return [[w] for w in words]
    bounds = np.linspace(0, len(words), max_words + 1).round().astype(int)
    return [words[a:b] for a, b in pairwise(bounds.tolist()) if b > a]


def _original_span(nt, s: int, e: int) -> tuple[int, int]:
    """Clean span [s, e) -> original span covering every character it came from.

    The normaliser maps an inserted string to the start of the text it replaced: all of "[URL]"
    maps to the URL's first character (so the end is widened to the next kept character) and the
    closing "#" of a rewritten topic maps back to the opening one (so min/max, not first/last)."""
    nt.original_span(s, e)  # validates the span
    offs = nt.offsets
    os_, oe = min(offs[s:e]), max(offs[s:e]) + 1
    if e >= 2 and offs[e - 1] == offs[e - 2]:
        nxt = offs[e] if e < len(offs) else len(nt.original)
        oe = max(oe, len(nt.original[:nxt].rstrip()))
    return os_, oe


def _candidates(units: list[list[tuple[int, int]]], span_words: int) -> list[tuple[int, int]]:
    """(start, end) in the clean text of every run of 1..span_words consecutive units."""
    spans = []
    for n in range(1, span_words + 1):
        for i in range(len(units) - n + 1):
            spans.append((units[i][0][0], units[i + n - 1][-1][1]))
    return spans


def explain_predictions(clf, norms, preds, scores=None, top_k: int = 3, max_words: int = 64,
                        batch_size: int = 64, min_weight: float | None = None, span_words: int = 3,
                        max_variants: int = 8192):
    """Set `pred.evidence` on each Prediction (in place; the list is also returned).

    clf: a RumorClassifier (uses clf.score_normalized and clf.labels); norms: the posts'
    NormalizedText; preds: their Predictions; scores: the posts' scores (unused; kept for
    callers). The distinct candidate spans of up to `max_variants` posts' worth of candidates go
    to one `clf.score_normalized` call; see the module docstring for the method.
    """
    if len(norms) != len(preds):
        raise ValueError(f"{len(norms)} texts but {len(preds)} predictions")
    if top_k < 1 or max_words < 1 or span_words < 1:
        raise ValueError("top_k, max_words and span_words must be at least 1")
    label_index = {lab: j for j, lab in enumerate(clf.labels)}
    floors = {lab: (clf.thresholds[lab] if min_weight is None else min_weight) for lab in clf.labels}

    jobs = []  # (post index, candidate spans in the clean text)
    for i, (nt, pred) in enumerate(zip(norms, preds)):
        pred.evidence = {}
        if not pred.labels or not nt.text.strip():
            continue
        pred.evidence = {lab: [] for lab in pred.labels}
        units = _units(content_words(nt.text), max_words)
        if units:
            jobs.append((i, _candidates(units, span_words)))

    start = 0
    while start < len(jobs):
        group, n_var = [], 0
        while start < len(jobs) and (not group or n_var + len(jobs[start][1]) <= max_variants):
            group.append(jobs[start])
            n_var += len(jobs[start][1])
            start += 1
        texts = list(dict.fromkeys(norms[i].text[s:e] for i, spans in group for s, e in spans))
        row_of = {t: r for r, t in enumerate(texts)}
        span_scores, _ = clf.score_normalized(texts, batch_size)
        for i, spans in group:
            text = norms[i].text
            rows = span_scores[[row_of[text[s:e]] for s, e in spans]]
            _set_evidence(norms[i], preds[i], spans, rows, label_index, top_k, floors)
    return preds


def _set_evidence(nt, pred, spans, rows, label_index, top_k, floors) -> None:
    for lab in pred.labels:
        weights = rows[:, label_index[lab]]
        chosen: list[tuple[int, int, float]] = []
        seen: set[str] = set()
        for k in np.argsort(-weights, kind="stable"):  # ties: the shorter, earlier span first
            s, e = spans[k]
            w = float(weights[k])
            if len(chosen) == top_k or w <= 0 or (chosen and w < floors[lab]):
                break
            if nt.text[s:e] in seen or any(s < ce and cs < e for cs, ce, _ in chosen):
                continue
            chosen.append((s, e, w))
            seen.add(nt.text[s:e])
        evidence = []
        for s, e, w in chosen:
            os_, oe = _original_span(nt, s, e)
            evidence.append({"text": nt.original[os_:oe], "start": os_, "end": oe, "weight": w})
        pred.evidence[lab] = evidence
