"""A government report on a crackdown against online attacks on enterprises is a normal post:
it is full of the vocabulary of infringement (谣言, 敲诈勒索, 删帖, 仿冒) but attacks nobody, and
scraped pages bring it garbled (traditional characters, pinyin glosses, comma junk). The report is
the project's own fictional fixture (tests/fixtures/, see tests/test_normalize.py)."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.behaviour

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_crackdown_report_is_normal_garbled_or_clean(shipped):
    clean, garbled = ((FIXTURES / f"crackdown_report_{kind}.txt").read_text(encoding="utf-8")
                      for kind in ("clean", "garbled"))
    preds = shipped.predict([clean, garbled])
    assert preds[0].windows > 1, "the report is longer than one window: max-pooling is exercised"
    assert preds[0].labels == [] and preds[1].labels == [], [p.labels for p in preds]
