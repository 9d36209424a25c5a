"""Vocabulary: a BERT WordPiece tokenizer trained on the corpus (one token per CJK character)."""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[URL]"]
# Emoji that posts use in place of words; guaranteed a vocabulary entry even if the corpus is short of them.
COMMON_EMOJI = list(
    "😂🤣😅😊😍😘😭😡🤬😱😓🙄🤡👍👎👏🙏💪🔥💰💸🐶🐷🐍🦈🍉🈶🈚🉑🆘🚫⚠❗❓✅❌💩👻🤮🤔😏😤🥵💯🎉📢📣🔔🙃😒😳🤐🤫💔❤"
)


def build_tokenizer(lines: list[str], out_dir: Path, vocab_size: int):
    """Train a BERT WordPiece vocabulary and save a BertTokenizerFast-loadable directory."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizerFast

    wp = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True,
                                strip_accents=False, lowercase=True)
    wp.train_from_iterator(lines, vocab_size=vocab_size, min_frequency=3,
                           limit_alphabet=vocab_size, initial_alphabet=COMMON_EMOJI,
                           special_tokens=SPECIAL_TOKENS, show_progress=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    wp.save_model(str(out_dir))
    vocab = {}
    for i, line in enumerate((out_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()):
        vocab[line] = i
    tok = BertTokenizerFast(vocab=vocab, do_lower_case=True,
                            tokenize_chinese_chars=True, strip_accents=False,
                            additional_special_tokens=["[URL]"])
    tok.model_max_length = 512
    tok.save_pretrained(str(out_dir))
    return tok
