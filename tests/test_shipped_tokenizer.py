"""The packaged tokenizers carry no window state (issue 16, point 14): someone who loads
tokenizer.json with the `tokenizers` library directly gets every token of a long text."""

import json

import pytest

from rumorclf.modeldir import default_model_path

MODELS = sorted(p for p in default_model_path().parent.iterdir() if (p / "tokenizer.json").exists())


@pytest.mark.parametrize("model_dir", MODELS, ids=lambda p: p.name)
def test_packaged_tokenizer_does_not_truncate_or_pad(model_dir):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    assert tok.truncation is None and tok.padding is None
    assert len(tok.encode("鑫达科技" * 100).ids) > 400  # 400 characters, not one 128-token window
    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert not {"max_length", "stride", "truncation_strategy"} & set(config)
