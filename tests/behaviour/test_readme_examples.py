"""The README's Python sessions (```pycon blocks) are real output of the shipped model: each is run
as a doctest, so a retrained model that answers differently fails here until the README shows
what it does (issue 16, point 13d)."""

import doctest
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.behaviour

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```pycon\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_a_python_session():
    assert BLOCKS, "README.md has no ```pycon block"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[0][:40])
def test_readme_python_session_is_real_output(block, shipped):
    test = doctest.DocTestParser().get_doctest(block, {}, "README.md", str(README), 0)
    out = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
