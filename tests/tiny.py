"""Tiny randomly initialised models for tests: built in memory, never downloaded."""

from __future__ import annotations

CHARS = (
    "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多"
    "然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长"
    "儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感公司企业老板跑路倒闭谣言删帖水军敲诈钱"
    "科技鑫达集团品牌产品质量假冒官方客服网暴投诉辟谣声明上市股票热搜曝光隐私电话地址要完了卖国黑测评"
)


def make_tiny_tokenizer():
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[URL]"]
    letters = list("abcdefghijklmnopqrstuvwxyz0123456789@#!?,.，。！？：")
    vocab = {}
    for tok in specials + list(dict.fromkeys(CHARS)) + letters:
        vocab.setdefault(tok, len(vocab))
    tok = BertTokenizerFast(vocab=vocab, do_lower_case=True, additional_special_tokens=["[URL]"])
    tok.model_max_length = 512
    return tok


def make_tiny_encoder_config(vocab_size: int, num_labels: int | None = None):
    from transformers import BertConfig

    cfg = BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128)
    if num_labels:
        cfg.num_labels = num_labels
    return cfg


def make_tiny_classifier(taxonomy=None, max_length: int = 32, stride: int = 8, seed: int = 0):
    import torch
    from transformers import BertForSequenceClassification

    from rumorclf import RumorClassifier, Taxonomy

    tax = Taxonomy.load(taxonomy)
    tok = make_tiny_tokenizer()
    torch.manual_seed(seed)
    cfg = make_tiny_encoder_config(len(tok), len(tax))
    cfg.problem_type = "multi_label_classification"
    model = BertForSequenceClassification(cfg)
    return RumorClassifier(model, tok, tax, max_length=max_length, stride=stride,
                           meta={"name": "tiny-random-test-model"})
