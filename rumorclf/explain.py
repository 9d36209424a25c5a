"""Evidence spans for predicted labels, measured by occlusion (not by keyword lists).

For every post with at least one predicted label, the clean (normalised) text is cut into words
with jieba; pure whitespace/punctuation words are skipped and the normaliser's "[URL]" placeholder
is one word. One variant of the post is built per word with that word occluded, all variants of
all posts are scored together through the classifier's own batched scorer (`clf.score_normalized`), and for
each predicted label the words whose occlusion lowers that label's score most are its evidence.

Occlusion = replacing the word by the tokenizer's mask token, repeated once per token the word
encodes to ("跑路" -> "[MASK][MASK]" for a character-level Chinese tokenizer); [UNK] when the
tokenizer has no mask token, plain deletion when it has neither. The mask is chosen over deletion
because it keeps the post's length in tokens: positions, the overflow windows of long posts and the
neighbouring words are unchanged, so the score drop measures the word's content, not a shift of
every later token or a new word formed by gluing the neighbours together (deleting 的 from
"鑫达的科技产品" would create "鑫达科技"). Masked inputs are familiar to encoders pretrained with masked
language modelling. The unoccluded post is scored again in the same call (its variants have the
same token length, so the same padding) and is the baseline the drops are measured from.

Long posts: at most `max_words` occlusions per post. A post with more content words has its words
split into `max_words` runs of consecutive words, and each run is occluded as one unit. Unlike
keeping only the longest words this covers the whole post (short words such as 骗, 假 or a negation
are often the evidence) at the cost of coarser spans for long posts.

Result: `pred.evidence = {label: [{"text", "start", "end", "weight"}, ...]}` for every predicted
label (posts with none get `{}`). Each label keeps its `top_k` units whose occlusion lowers its
score (drop > `min_drop`, 0 by default: the baseline is rescored in the same call with inputs of
the same shape, so an unchanged input gives an unchanged score; raise `min_drop` to keep only
strong evidence). Units that touch in the clean text (adjacent, or separated only by whitespace)
are merged into one span whose weight is the sum of their drops. `start`/`end` are offsets into
the ORIGINAL post (original[start:end] == text); spans are sorted by weight, largest first;
weights are score drops (non-negative floats, at most 1 per word).
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
    """Occlusion units: one per word, or `max_words` runs of consecutive words for long posts."""
    if len(words) <= max_words:
        return [[w] for w in words]
    bounds = np.linspace(0, len(words), max_words + 1).round().astype(int)
    return [words[a:b] for a, b in pairwise(bounds.tolist()) if b > a]


class _Occluder:
    """Builds occluded texts: each word -> mask token repeated once per token of the word."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.token = getattr(tokenizer, "mask_token", None) or getattr(tokenizer, "unk_token", None)
        self._n_tokens: dict[str, int] = {}

    def prepare(self, words: list[str]) -> None:
        """Count the tokens of the words not seen yet, in one batched tokenizer call."""
        if self.token is None:
            return
        new = list(dict.fromkeys(w for w in words if w not in self._n_tokens))
        if not new:
            return
        try:
            ids = self.tokenizer(new, add_special_tokens=False)["input_ids"]
            counts = [max(1, len(x)) for x in ids]
        except (TypeError, ValueError, KeyError, AttributeError):  # no batch call: one mask per char
            counts = [max(1, len(w)) for w in new]
        self._n_tokens.update(zip(new, counts))

    def occlude(self, text: str, unit: list[tuple[int, int]]) -> str:
        pieces, pos = [], 0
        for s, e in unit:
            pieces.append(text[pos:s])
            if self.token is not None:
                pieces.append(self.token * self._n_tokens.get(text[s:e], e - s))
            pos = e
        pieces.append(text[pos:])
        return "".join(pieces)


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


def _merge(chosen: list[tuple[int, int, float]], text: str) -> list[tuple[int, int, float]]:
    """Merge spans (start, end, weight) that touch: adjacent or separated only by whitespace."""
    merged: list[list] = []
    for s, e, w in sorted(chosen):
        if merged and (s <= merged[-1][1] or not text[merged[-1][1]:s].strip()):
            merged[-1][1] = max(merged[-1][1], e)
            merged[-1][2] += w
        else:
            merged.append([s, e, w])
    return [tuple(m) for m in merged]


def explain_predictions(clf, norms, preds, scores=None, top_k: int = 3, max_words: int = 64,
                        batch_size: int = 64, min_drop: float = 0.0, max_variants: int = 8192):
    """Set `pred.evidence` on each Prediction (in place; the list is also returned).

    clf: a RumorClassifier (uses clf.score_normalized, clf.tokenizer, clf.labels); norms: the posts'
    NormalizedText; preds: their Predictions; scores: the (n, n_labels) scores of the posts (kept
    for the caller's convenience; the baseline is rescored with the variants, see the module doc).
    All variants of up to `max_variants` occlusions go to one `clf.score_normalized` call.
    """
    if len(norms) != len(preds):
        raise ValueError(f"{len(norms)} texts but {len(preds)} predictions")
    if top_k < 1 or max_words < 1:
        raise ValueError("top_k and max_words must be at least 1")
    label_index = {lab: j for j, lab in enumerate(clf.labels)}
    occluder = _Occluder(clf.tokenizer)

    jobs = []  # (post index, units)
    for i, (nt, pred) in enumerate(zip(norms, preds)):
        pred.evidence = {}
        if not pred.labels or not nt.text.strip():
            continue
        units = _units(content_words(nt.text), max_words)
        pred.evidence = {lab: [] for lab in pred.labels}
        if units:
            jobs.append((i, units))
    occluder.prepare([norms[i].text[s:e] for i, units in jobs for unit in units for s, e in unit])

    start = 0
    while start < len(jobs):
        group, n_var = [], 0
        while start < len(jobs) and (not group or n_var + len(jobs[start][1]) + 1 <= max_variants):
            group.append(jobs[start])
            n_var += len(jobs[start][1]) + 1
            start += 1
        texts = []
        for i, units in group:
            text = norms[i].text
            texts.append(text)
            texts.extend(occluder.occlude(text, unit) for unit in units)
        var_scores, _ = clf.score_normalized(texts, batch_size)
        row = 0
        for i, units in group:
            base, occluded = var_scores[row], var_scores[row + 1: row + 1 + len(units)]
            row += 1 + len(units)
            _set_evidence(norms[i], preds[i], units, base, occluded, label_index, top_k, min_drop)
    return preds


def _set_evidence(nt, pred, units, base, occluded, label_index, top_k, min_drop) -> None:
    spans = [(unit[0][0], unit[-1][1]) for unit in units]
    for lab in pred.labels:
        j = label_index[lab]
        drops = base[j] - occluded[:, j]
        order = sorted((k for k in range(len(units)) if drops[k] > min_drop), key=lambda k: -drops[k])
        chosen = [(*spans[k], float(drops[k])) for k in order[:top_k]]
        evidence = []
        for s, e, w in _merge(chosen, nt.text):
            os_, oe = _original_span(nt, s, e)
            evidence.append({"text": nt.original[os_:oe], "start": os_, "end": oe, "weight": float(w)})
        evidence.sort(key=lambda d: (-d["weight"], d["start"]))
        pred.evidence[lab] = evidence
