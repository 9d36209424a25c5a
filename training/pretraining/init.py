"""The model and its initialisation: a BERT config, sinusoidal positions, PPMI-SVD character vectors."""

from __future__ import annotations

import numpy as np

from .vocab import SPECIAL_TOKENS


def make_model(vocab_size: int, layers: int, hidden: int, heads: int, max_positions: int = 512,
               dropout: float = 0.1):
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=hidden * 4,
                        max_position_embeddings=max_positions, type_vocab_size=2,
                        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    return BertForMaskedLM(config)


def sinusoidal_positions(n_positions: int, dim: int, std: float = 0.02) -> np.ndarray:
    """Transformer sine/cosine position table scaled to BERT's init std: relative offsets are then
    linear maps of the table from step 0, instead of something attention must discover."""
    pos = np.arange(n_positions)[:, None]
    freq = 10000.0 ** (-2.0 * np.arange(dim // 2)[None, :] / dim)
    table = np.zeros((n_positions, dim))
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq)
    return (table * std / table.std()).astype(np.float32)


def ppmi_svd_embeddings(ids: np.ndarray, vocab_size: int, dim: int, n_special: int, window: int = 2,
                        max_rows: int = 300_000, std: float = 0.02, seed: int = 0) -> np.ndarray:
    """Character vectors from the corpus: SVD of the positive PMI of co-occurrence within +-window
    tokens (Levy & Goldberg 2014; context distribution smoothed with 0.75), scaled to BERT's init std."""
    import scipy.sparse as sp
    from sklearn.utils.extmath import randomized_svd

    rows = np.asarray(ids[:max_rows]).astype(np.int64)
    counts = sp.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    for d in range(1, window + 1):
        a, b = rows[:, :-d].ravel(), rows[:, d:].ravel()
        ok = (a >= n_special) & (b >= n_special)
        m = sp.coo_matrix((np.full(int(ok.sum()), 1.0 / d), (a[ok], b[ok])), shape=(vocab_size, vocab_size)).tocsr()
        counts = counts + m + m.T
    c = counts.tocoo()
    total = c.sum()
    row_p = np.asarray(counts.sum(1)).ravel() / total
    ctx = np.asarray(counts.sum(0)).ravel() ** 0.75
    ctx_p = ctx / ctx.sum()
    pmi = np.log(np.maximum(c.data / total / np.maximum(row_p[c.row] * ctx_p[c.col], 1e-30), 1e-30))
    keep = pmi > 0
    ppmi = sp.coo_matrix((pmi[keep], (c.row[keep], c.col[keep])), shape=(vocab_size, vocab_size)).tocsr()
    u, sv, _ = randomized_svd(ppmi, dim, n_iter=5, random_state=seed)
    emb = u * np.sqrt(sv)
    rng = np.random.default_rng(seed)
    unseen = row_p == 0
    emb[unseen] = rng.normal(0.0, emb[~unseen].std(), (int(unseen.sum()), dim))
    return (emb * std / emb.std()).astype(np.float32)


def init_embeddings(model, train_ids: np.ndarray, pos_init: str, emb_init: str, seed: int) -> None:
    """Start a from-scratch model from structure instead of noise (see the trials in training/README.md)."""
    import torch

    emb = model.bert.embeddings
    with torch.no_grad():
        if pos_init == "sinusoidal":
            n, dim = emb.position_embeddings.weight.shape
            emb.position_embeddings.weight.copy_(torch.from_numpy(sinusoidal_positions(n, dim)))
        if emb_init == "ppmi":
            v, dim = emb.word_embeddings.weight.shape
            emb.word_embeddings.weight.copy_(torch.from_numpy(
                ppmi_svd_embeddings(train_ids, v, dim, len(SPECIAL_TOKENS), seed=seed)))


def grow_layers(model, n_layers: int) -> list[int]:
    """Deepen a trained BERT to n_layers by stacking copies of its own layers (new layer j = old layer
    j mod L; Gong et al. 2019, "Efficient Training of BERT by Progressively Stacking"): a larger shape
    that starts from what the smaller one learned instead of from noise. Returns the source of each layer."""
    import copy

    layers = model.bert.encoder.layer
    old = len(layers)
    if n_layers <= old:
        raise SystemExit(f"--grow-layers {n_layers}: the model already has {old} layers")
    sources = list(range(old)) + [j % old for j in range(old, n_layers)]
    for j in range(old, n_layers):
        layer = copy.deepcopy(layers[j % old])
        for module in layer.modules():  # keep cache indices unique, as a freshly built model has them
            if hasattr(module, "layer_idx"):
                module.layer_idx = j
        layers.append(layer)
    model.config.num_hidden_layers = n_layers
    return sources
