"""The output schema: `Prediction` and its two serialisations, in one place.

A classified row (what `rumorclf classify` writes, flat so that CSV and Parquet hold it) is the
input record plus:

    pred_labels      list[str]   predicted categories ([] = normal)
    pred_families    list[str]   families of the predicted categories
    score_<label>    float       a score in [0, 1] for every category of the model
    pred_normalized  bool        the normaliser changed the text
    pred_empty       bool        nothing to classify (empty/whitespace post)
    pred_windows     int         model windows the post needed
    pred_evidence    dict        {label: [{"text", "start", "end", "weight"}]}, with --explain
    pred_targets     list[dict]  targets of the post, with --watchlist (see analysis.targets)
    pred_error       str         instead of all of the above: why the row was not classified
                                 (Ray's `classify_dataset` on a row without a string text)

`prediction_row` maps a Prediction to those fields and `prediction_from_row` maps them back;
`read_prediction_rows` reads a classified JSONL file (what the report reads). `Prediction.to_dict`
is the nested Python shape (`scores` and `family_scores` as dicts, `changes` kept), made by
`prediction_dict` here too.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from .io import read_jsonl

__all__ = ["ERROR_FIELD", "PRED_PREFIX", "SCORE_PREFIX", "Prediction", "PredictionRow", "error_row",
           "prediction_dict", "prediction_from_row", "prediction_row", "read_prediction_rows", "score_field"]

PRED_PREFIX = "pred_"
SCORE_PREFIX = "score_"
LABELS_FIELD = "pred_labels"
FAMILIES_FIELD = "pred_families"
NORMALIZED_FIELD = "pred_normalized"
EMPTY_FIELD = "pred_empty"
WINDOWS_FIELD = "pred_windows"
EVIDENCE_FIELD = "pred_evidence"
TARGETS_FIELD = "pred_targets"
ERROR_FIELD = "pred_error"


@dataclass
class Prediction:
    """The classification of one post."""

    labels: list[str]                # predicted categories (empty = normal)
    scores: dict[str, float]         # a score in [0, 1] for every category
    families: list[str]              # families of the predicted categories
    family_scores: dict[str, float]  # max score over each family's categories
    normalized: bool = False         # the normaliser changed the text
    empty: bool = False              # nothing left to classify (empty/whitespace post)
    windows: int = 1                 # number of model windows the post needed
    changes: list[str] = field(default_factory=list)  # normaliser steps that changed the text
    evidence: dict[str, list[dict]] | None = None       # filled by predict(..., explain=True)
    targets: list[dict] | None = None                   # filled when a target finder is used

    @property
    def is_normal(self) -> bool:
        return not self.labels

    def to_dict(self) -> dict:
        """The nested shape (see `prediction_dict`); `prediction_row` gives the flat one."""
        return prediction_dict(self)


def score_field(label: str) -> str:
    return SCORE_PREFIX + label


def prediction_dict(pred: Prediction) -> dict:
    """Every field of the Prediction; `evidence`/`targets` only when they were asked for."""
    d = asdict(pred)
    for key in ("evidence", "targets"):
        if d[key] is None:
            del d[key]
    return d


def prediction_row(pred: Prediction, labels: list[str] | None = None, digits: int = 6) -> dict:
    """The fields a classified row gains (flat, so CSV and Parquet hold them too); `labels`: the
    score columns, in order (default: the prediction's own)."""
    d = {LABELS_FIELD: pred.labels, FAMILIES_FIELD: pred.families, NORMALIZED_FIELD: pred.normalized,
         EMPTY_FIELD: pred.empty, WINDOWS_FIELD: pred.windows}
    for lab in (pred.scores if labels is None else labels):
        d[score_field(lab)] = round(pred.scores[lab], digits)
    if pred.evidence is not None:
        d[EVIDENCE_FIELD] = pred.evidence
    if pred.targets is not None:
        d[TARGETS_FIELD] = pred.targets
    return d


def error_row(reason: str) -> dict:
    """The fields of a row that could not be classified."""
    return {ERROR_FIELD: reason}


def _num(v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _names(values) -> list[str]:
    return list(dict.fromkeys(str(x) for x in values))


def prediction_from_row(row: dict, taxonomy=None) -> Prediction:
    """A classified row back to a Prediction. Tolerant of what files hold: scores that are not
    finite numbers read as 0.0, a missing `pred_families` is derived from `taxonomy` (a
    `rumorclf.Taxonomy`, which also fills `family_scores` and every label's score). Raises
    ValueError for a row without a `pred_labels` list (not a classified row)."""
    if not isinstance(row, dict) or not isinstance(row.get(LABELS_FIELD), list):
        raise ValueError(f"not a classified row: no {LABELS_FIELD} list")
    labels = _names(row[LABELS_FIELD])
    scores = {k[len(SCORE_PREFIX):]: _num(v) for k, v in row.items() if k.startswith(SCORE_PREFIX)}
    family_scores: dict[str, float] = {}
    known = set(taxonomy.labels) if taxonomy is not None else set()
    if taxonomy is not None:
        scores = {lab: scores.get(lab, 0.0) for lab in taxonomy.labels} | scores
        for lab in taxonomy.labels:
            fam = taxonomy.family_of(lab)
            family_scores[fam] = max(family_scores.get(fam, 0.0), scores[lab])
    fams = row.get(FAMILIES_FIELD)
    if isinstance(fams, list):
        families = _names(fams)
    else:
        families = _names(taxonomy.family_of(x) for x in labels if x in known) if taxonomy is not None else []
    windows = row.get(WINDOWS_FIELD, 1)
    ev, tg = row.get(EVIDENCE_FIELD), row.get(TARGETS_FIELD)
    return Prediction(labels=labels, scores=scores, families=families, family_scores=family_scores,
                      normalized=bool(row.get(NORMALIZED_FIELD, False)), empty=bool(row.get(EMPTY_FIELD, False)),
                      windows=windows if isinstance(windows, int) and not isinstance(windows, bool) else 1,
                      evidence=ev if isinstance(ev, dict) else None, targets=tg if isinstance(tg, list) else None)


class PredictionRow(NamedTuple):
    line: int                # 1-based line of the file
    data: dict               # the whole row: input fields and prediction fields
    prediction: Prediction   # the prediction fields, read back


def read_prediction_rows(path: str | Path, *, taxonomy=None, stats: Counter | None = None) -> Iterator[PredictionRow]:
    """The classified rows of a JSONL output of `rumorclf classify`, streamed.

    Blank lines are skipped; a line that is not a classified row is skipped and counted in
    `stats` (when given): "malformed" for every such line, plus "not_json" (not UTF-8, not JSON,
    or not an object) or "unlabelled" (an object without `pred_labels`, e.g. an input not yet
    classified, or a `pred_error` row)."""
    stats = stats if stats is not None else Counter()
    for rec in read_jsonl(path, skip_blank=True):
        d = rec.value
        if rec.error or not isinstance(d, dict):
            stats["malformed"] += 1
            stats["not_json"] += 1
            continue
        if not isinstance(d.get(LABELS_FIELD), list):
            stats["malformed"] += 1
            stats["unlabelled"] += 1
            continue
        yield PredictionRow(rec.line, d, prediction_from_row(d, taxonomy))
