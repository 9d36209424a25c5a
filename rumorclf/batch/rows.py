"""texts -> classified-row fields: the function every engine runs on its texts."""

from __future__ import annotations

from collections.abc import Callable

from ..schema import prediction_row

__all__ = ["make_row_classifier"]


def make_row_classifier(clf, threshold=None, batch_size: int = 32, explain: bool = False,
                        finder=None) -> Callable[[list[str]], list[dict]]:
    """A function texts -> prediction-field dicts (`rumorclf.schema.prediction_row`), shared by the
    local and the Ray engines; `batch_size` is the posts per forward pass."""

    def run(texts: list[str]) -> list[dict]:
        preds = clf.predict(texts, batch_size=batch_size, threshold=threshold, explain=explain, targets=finder)
        return [prediction_row(p, clf.labels) for p in preds]

    return run
