import os

import pytest

from rumorclf.modeldir import default_model_path


@pytest.fixture(scope="session")
def shipped():
    """The packaged default model (behavioural tests are about it, not about a random model).

    RUMORCLF_BEHAVIOUR_MODEL=DIR runs them on a candidate instead, before it is shipped
    (the README examples then differ, as they show the shipped model's output)."""
    from rumorclf import RumorClassifier

    candidate = os.environ.get("RUMORCLF_BEHAVIOUR_MODEL")
    if candidate:
        return RumorClassifier.from_pretrained(candidate)
    if not (default_model_path() / "rumorclf.json").exists():
        pytest.fail(f"the packaged default model is missing at {default_model_path()}")
    return RumorClassifier.from_pretrained()


def report(name: str, passed: int, total: int, minimum: float) -> float:
    rate = passed / total
    print(f"\n[behaviour] {name}: {passed}/{total} = {rate:.1%} (minimum {minimum:.0%})")
    return rate
