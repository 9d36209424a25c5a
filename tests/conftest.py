import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

from tests.tiny import make_tiny_classifier  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A randomly initialised 15-label classifier saved with save_pretrained (no download)."""
    path = tmp_path_factory.mktemp("tiny_model")
    make_tiny_classifier().save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_clf(tiny_model_dir):
    from rumorclf import RumorClassifier

    return RumorClassifier.from_pretrained(tiny_model_dir)
