"""Evaluate a model on labelled JSONL, against baselines, with plots and a Markdown report.

    python -m training.evaluate MODEL data/test.jsonl --out reports/test \
        --compare runs/from-scratch --tfidf
    rumorclf evaluate MODEL DATA ...                                     # the same

Writes to --out: report.md, metrics.json, pr_curves.png, reliability.png. Metrics (scikit-learn):
per-label precision/recall/F1, micro and macro F1, family-level F1, false-positive rate on normal
posts and on hard negatives separately, most confused label pairs. The TF-IDF baseline (character
1-3 grams + one-vs-rest logistic regression) is trained on --train with thresholds tuned on
--dev, exactly as the fine-tuned models are.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

import numpy as np

from rumorclf.normalize import normalize_text

from . import configure_run
from .data import REAL_DEV  # noqa: F401  (re-exported: imported from here before issue 17)
from .data import default_data_file, default_real_dev, load_split, multi_hot, read_real_dev
from .eval_report import markdown_report, plot_pr, plot_reliability
from .metrics import compute_metrics, predict_sets, tune_thresholds

log = logging.getLogger("rumorclf.evaluate")


def fit_tfidf(train_ex, labels, seed: int = 13, negatives: list[str] = (), embed_share: float = 0.0,
              negative_weight: float = 1.0, ngram_range=(1, 3), C: float = 10.0, max_features: int = 200_000,
              written_swap_names: float = 0.0):
    """Fit TF-IDF char 1-3 grams + one-vs-rest logistic regression; return (vectorizer, classifier).

    `negatives` (real lines, as normal), `embed_share` (written posts also embedded in real text)
    and `written_swap_names` (that share of the written posts and their embedded copies given
    invented company names, as `training.train --written-swap-names` does in its first epoch) give
    the baseline the same data the fine-tuned model had. The defaults are the baseline;
    `ngram_range`, `C` and `max_features` are for trials (training/trials/ngram_features.py).
    """
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    texts, y, weights = tfidf_training_set(train_ex, labels, seed, negatives, embed_share, negative_weight,
                                           written_swap_names)
    vec = TfidfVectorizer(analyzer="char", ngram_range=tuple(ngram_range), min_df=2, sublinear_tf=True,
                          max_features=max_features)
    x = vec.fit_transform(texts)
    with sklearn.config_context(enable_metadata_routing=True):  # routes sample_weight to each binary LR
        lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced", random_state=seed)
        clf = OneVsRestClassifier(lr.set_fit_request(sample_weight=True))
        clf.fit(x, y, sample_weight=weights)
    return vec, clf


def tfidf_training_set(train_ex, labels, seed: int = 13, negatives: list[str] = (), embed_share: float = 0.0,
                       negative_weight: float = 1.0, written_swap_names: float = 0.0):
    """What `fit_tfidf` fits on: (normalised texts, multi-hot labels, sample weights) of the written
    posts, their copies embedded in real text (a share `embed_share`), and the real negatives."""
    import random

    from .data import Example
    from .negatives import embed_in_real_text

    texts = [e.text for e in train_ex]
    rows = list(train_ex)
    weights = [1.0] * len(rows)
    rng = random.Random(seed)
    if negatives:
        for e in train_ex:
            if rng.random() < embed_share:
                texts.append(embed_in_real_text(e.text, negatives, rng))
                rows.append(e)
                weights.append(1.0)
    if written_swap_names > 0:
        from .negatives import invent_names_in_share

        texts = invent_names_in_share(texts, written_swap_names, seed, epoch=1)
    if negatives:
        texts += list(negatives)
        rows += [Example("", t, []) for t in negatives]
        weights += [negative_weight] * len(negatives)
    return [normalize_text(t) for t in texts], multi_hot(rows, labels), np.asarray(weights)


def tfidf_baseline(train_ex, dev_ex, labels, seed: int = 13, negatives: list[str] = (),
                   embed_share: float = 0.0, negative_weight: float = 1.0, written_swap_names: float = 0.0):
    """The TF-IDF baseline (`fit_tfidf`): a scoring function of raw texts, and thresholds tuned on dev."""
    vec, clf = fit_tfidf(train_ex, labels, seed, negatives, embed_share, negative_weight,
                         written_swap_names=written_swap_names)

    def scores(texts):
        return clf.predict_proba(vec.transform([normalize_text(t) for t in texts])).astype(np.float32)

    thresholds = tune_thresholds(multi_hot(dev_ex, labels), scores([e.text for e in dev_ex]))
    return scores, thresholds


def evaluate_system(name: str, scores: np.ndarray, thresholds, y, labels, families, hard_neg) -> dict:
    m = compute_metrics(y, predict_sets(scores, thresholds), labels, families, hard_neg)
    m["name"] = name
    m["_scores"] = scores
    return m


def real_post_figures(scores: np.ndarray, thresholds, real: list[dict]) -> dict:
    """On real Weibo posts (real_dev): false alarms = share of verified true news given any label;
    soft recall = share of enterprise-related rumours given any label (see real_dev/README.md)."""
    flagged = (scores >= np.asarray(thresholds, dtype=np.float32)).any(1)
    non, ent = real_post_groups(real)
    return {"real_false_alarms": round(float(flagged[non].mean()), 4) if non.any() else None,
            "real_enterprise_rumours_flagged": round(float(flagged[ent].mean()), 4) if ent.any() else None,
            "real_nonrumor_posts": int(non.sum()), "real_enterprise_rumour_posts": int(ent.sum())}


def rumours_flagged_at_false_alarms(scores: np.ndarray, real: list[dict], false_alarms: float = 0.03,
                                    thresholds=None) -> float:
    """Threshold-free ranking figure: the share of real enterprise rumours flagged when the "any label"
    score is cut so that exactly `false_alarms` of real true news is flagged.

    The any-label score is the max over labels of `scores`, or, given per-label `thresholds` (in the
    scores' space: logits for logits), of the margin `scores - thresholds`: the ranking by which the
    model's own decision rule flags posts when every threshold is moved by the same amount.
    """
    top = np.asarray(scores) if thresholds is None else np.asarray(scores) - np.asarray(thresholds)
    top = top.max(1)
    non, ent = real_post_groups(real)
    return float(np.mean(top[ent] > np.quantile(top[non], 1.0 - false_alarms)))


def real_post_groups(real: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Masks of real_dev's verified true news and of its enterprise-related rumours."""
    non = np.array([r["source_label"] == "nonrumor" for r in real], dtype=bool)
    ent = np.array([r["source_label"] == "rumor" and bool(r.get("enterprise_related")) for r in real], dtype=bool)
    return non, ent


def embedding_variants(post: str, real: list[str], rng) -> dict[str, str]:
    """One infringing post placed three ways in ordinary real text (the issue's behaviour check)."""
    from .negatives import _sentences

    sents = [x for t in rng.sample(real, 8) for x in _sentences(t)] or ["今天天气不错。"]
    k = rng.randint(1, 5)
    review = rng.choice([t for t in real if len(t) > 30] or real)
    cut = len(review) // 2
    long_tail = ""
    while len(long_tail) < 1500:
        long_tail += rng.choice(real)
    return {"after_1_5_sentences": "".join(sents[:k]) + post,
            "inside_review": review[:cut] + post + review[cut:],
            "start_of_long_post": post + long_tail}


def embedding_check(score_fn, thresholds, examples, labels: list[str], real: list[str], seed: int = 7) -> dict:
    """Share of the labels a model gives a dev infringing post alone that it still gives the post
    embedded in real text (after 1-5 sentences, inside a review, at the start of a ~1,500-char post)."""
    thr = np.asarray(thresholds, dtype=np.float32)
    pos, forms = embedded_forms(examples, real, seed)
    alone = score_fn([e.text for e in pos]) >= thr
    return labels_kept(alone, multi_hot(pos, labels).astype(bool),
                       {form: score_fn(texts) >= thr for form, texts in forms.items()})


def embedded_forms(examples, real: list[str], seed: int = 7) -> tuple[list, dict[str, list[str]]]:
    """The infringing examples and, per form of `embedding_variants`, their texts placed in `real` text."""
    import random

    rng = random.Random(seed)
    pos = [e for e in examples if e.labels]
    variants = [embedding_variants(e.text, real, rng) for e in pos]
    return pos, {form: [v[form] for v in variants] for form in (variants[0] if variants else {})}


def labels_kept(alone: np.ndarray, gold: np.ndarray, embedded: dict[str, np.ndarray]) -> dict:
    """From label flags on the bare posts and on each embedded form: the share of the labels a
    model gets right on the bare post that it still gives embedded, per form and on average."""
    base = alone & gold  # labels it gets right on the bare post
    out = {form: round(float((emb & base).sum() / max(base.sum(), 1)), 4) for form, emb in embedded.items()}
    out["all"] = round(float(np.mean(list(out.values()))), 4)
    out["labels_alone"] = int(base.sum())
    return out


def ship_gate(candidate: dict, baseline: dict) -> dict:
    """The packaged default is replaced only by a model that, measured in one run, beats the TF-IDF
    baseline trained on the same data on dev macro-F1 and raises no more real false alarms."""
    dev_ok = candidate["dev_macro_f1"] > baseline["dev_macro_f1"]
    fa_c, fa_b = candidate.get("real_false_alarms"), baseline.get("real_false_alarms")
    fa_ok = fa_c is not None and fa_b is not None and fa_c <= fa_b
    return {"candidate": candidate["name"], "baseline": baseline["name"], "passes": bool(dev_ok and fa_ok),
            "dev_macro_f1": [candidate["dev_macro_f1"], baseline["dev_macro_f1"]],
            "real_false_alarms": [fa_c, fa_b]}


def _model_path(name: str | None) -> str | None:
    """'default' names the packaged model (None to from_pretrained), for MODEL and --compare alike."""
    return None if name == "default" else name


class _Corpora:
    """Real-text corpora read once per evaluation run (training negatives and --embed-corpus are
    usually the same folder)."""

    def __init__(self):
        self._read: dict[Path, list] = {}

    def sample(self, path, n: int, seed: int, exclude, swap_names: float = 0.0) -> list[str]:
        from .negatives import read_real_lines, sample_negatives

        key = Path(path).resolve()
        if key not in self._read:
            self._read[key] = read_real_lines(path)
        return sample_negatives(path, n, seed, exclude=exclude, corpus=self._read[key], swap_names=swap_names)


def written_swap_share(meta: dict) -> float:
    """The share of written posts a model's training gave invented company names (0 before the option)."""
    return float(meta.get("training", {}).get("written_swap_names") or 0.0)


def _training_negatives(meta: dict, labelled: list[str], corpora: _Corpora | None = None) -> tuple[list[str], float, float]:
    """The real negatives a model was trained with (re-sampled deterministically from its recipe)."""
    t = meta.get("training", {})
    path = t.get("negatives")
    if not path or not Path(path).exists():
        return [], 0.0, 1.0
    pool = (corpora or _Corpora()).sample(path, int(t.get("negatives_pool") or 0), int(t.get("seed", 13)), labelled,
                                          swap_names=float(t.get("negatives_swap_names") or 0.0))
    expected = t.get("negatives_fingerprint")
    if expected:
        from .negatives import fingerprint

        if fingerprint(pool) != expected:
            log.warning("the real negatives re-sampled from %s differ from the %d lines the model was trained "
                        "with (corpus or labelled data changed?): the baseline's negatives are not the same",
                        path, t.get("negatives_kept") or 0)
    n = int(t.get("negatives_per_epoch") or 0) or len(pool)
    return pool[:n], float(t.get("embed_share", 0.0)), float(t.get("negative_weight", 1.0))


def evaluate(model: str | None, data: str, out: Path | None, compare: list[str] = (), tfidf: bool = False,
             train: str = "train", dev: str = "dev", batch_size: int = 64, real_dev: str | None = None,
             embed_corpus: str | None = None, subsets: dict[str, list[str]] | None = None) -> list[dict]:
    from rumorclf import RumorClassifier

    from .data import near_duplicates

    clf = RumorClassifier.from_pretrained(model)
    labels = clf.labels
    families = [clf.taxonomy.family_of(x) for x in labels]
    ex = load_split(data, clf.taxonomy)
    dev_ex = load_split(dev, clf.taxonomy)
    texts = [e.text for e in ex]
    y, y_dev = multi_hot(ex, labels), multi_hot(dev_ex, labels)
    hard = np.array([e.hard_negative for e in ex])
    real = read_real_dev(real_dev) if real_dev else []
    real_texts = [r["text"] for r in real]
    corpora = _Corpora()
    context = corpora.sample(embed_corpus, 3000, seed=99, exclude=texts) if embed_corpus else []

    def add(name, score_fn, thr):
        m = evaluate_system(name, score_fn(texts), thr, y, labels, families, hard)
        m["dev_macro_f1"] = round(compute_metrics(y_dev, predict_sets(score_fn([e.text for e in dev_ex]), thr),
                                                  labels)["macro_f1"], 4)
        if real:
            m.update(real_post_figures(score_fn(real_texts), thr, real))
        if context:
            m["embedding_kept"] = embedding_check(score_fn, thr, dev_ex, labels, context)
        for sub, prefixes in (subsets or {}).items():  # e.g. the v1 and v2 parts of the test split
            keep = np.array([e.id.startswith(tuple(prefixes)) for e in ex])
            if keep.any():
                sm = compute_metrics(y[keep], predict_sets(m["_scores"][keep], thr), labels, families, hard[keep])
                m.setdefault("subsets", {})[sub] = {"posts": int(keep.sum()), "macro_f1": round(sm["macro_f1"], 4),
                                                    "fpr_normal": round(sm["fpr_normal"], 4)}
        systems.append(m)

    systems: list[dict] = []
    for path, c in [(model, clf)] + [(o, None) for o in compare]:
        c = c or RumorClassifier.from_pretrained(_model_path(path))
        c.taxonomy.check_model_labels(labels, where=f"compared model {path}")
        add(c.meta.get("name", Path(path or "default").name), lambda t, c=c: c.score_texts(t, batch_size),
            [c.thresholds[x] for x in labels])
    if tfidf:
        train_ex = load_split(train, clf.taxonomy)
        overlap = near_duplicates(texts, [e.text for e in train_ex + dev_ex])
        if overlap:
            log.warning("%d of %d evaluated posts are near-duplicates of the TF-IDF baseline's training or "
                        "dev data (%s, %s): its figures are inflated; pass --train/--dev", len(
                            {i for i, _, _ in overlap}), len(texts), train, dev)
        neg, share, weight = _training_negatives(clf.meta, [e.text for e in train_ex + dev_ex] + texts, corpora)
        name = "tfidf-char1-3-logreg" + (f" (+{len(neg):,} real negatives)" if neg else "")
        score_fn, t_thr = tfidf_baseline(train_ex, dev_ex, labels, negatives=neg, embed_share=share,
                                         negative_weight=weight, written_swap_names=written_swap_share(clf.meta))
        add(name, score_fn, t_thr)
        systems[0]["ship_gate"] = ship_gate(systems[0], systems[-1])
    if out:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        plot_pr(systems, y, labels, out / "pr_curves.png")
        plot_reliability(systems, y, out / "reliability.png")
        (out / "report.md").write_text(markdown_report(systems, labels, str(data)), encoding="utf-8")
        clean = [{k: v for k, v in m.items() if not k.startswith("_")} for m in systems]
        (out / "metrics.json").write_text(json.dumps(clean, indent=1, ensure_ascii=False), encoding="utf-8")
    return systems


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model directory ('default' = the packaged model)")
    p.add_argument("data", help="labelled JSONL, or train/dev/test for data/<split>.jsonl")
    p.add_argument("--out", type=Path, default=None, help="directory for report.md, metrics.json and plots")
    p.add_argument("--compare", action="append", default=[], help="another model directory to report beside it")
    p.add_argument("--tfidf", action="store_true", help="add the TF-IDF + logistic-regression baseline")
    p.add_argument("--train", default=default_data_file("train"), help="training data for the TF-IDF baseline")
    p.add_argument("--dev", default=default_data_file("dev"), help="dev data for the baseline's thresholds")
    p.add_argument("--real-dev", default=default_real_dev(),
                   help="real posts with source_label (default: ../shared/real_dev/jin2017_weibo.jsonl "
                        "when present); evaluation only, never training text")
    p.add_argument("--embed-corpus", default=None,
                   help="real text (folder of *.txt) for the embedding check: dev's infringing posts placed "
                        "inside ordinary text should keep their labels")
    p.add_argument("--subset", action="append", default=[], metavar="NAME=PREFIX[,PREFIX]",
                   help="also report the posts whose ids start with these prefixes (repeatable)")
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args(argv)
    subsets = {}
    for spec in args.subset:
        name, _, prefixes = spec.partition("=")
        if not prefixes:
            p.error(f"--subset {spec!r}: expected NAME=PREFIX[,PREFIX]")
        subsets[name] = prefixes.split(",")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    configure_run(False)
    systems = evaluate(_model_path(args.model), args.data, args.out, args.compare,
                       args.tfidf, args.train or "train", args.dev or "dev", args.batch_size, args.real_dev, args.embed_corpus, subsets)
    print(f"{'system':44s} {'macro':>6s} {'micro':>6s} {'FPR-n':>6s} {'FPR-hn':>6s} {'dev':>6s} {'realFA':>6s} {'realER':>6s}")
    for m in systems:
        fa, er = m.get("real_false_alarms"), m.get("real_enterprise_rumours_flagged")
        print(f"{m['name'][:44]:44s} {m['macro_f1']:6.3f} {m['micro_f1']:6.3f} {m['fpr_normal']:6.3f} "
              f"{m.get('fpr_hard_negative', float('nan')):6.3f} {m['dev_macro_f1']:6.3f} "
              f"{fa if fa is not None else float('nan'):6.3f} {er if er is not None else float('nan'):6.3f}")
    for m in systems:
        for sub, f in m.get("subsets", {}).items():
            print(f"{m['name'][:44]:44s} {sub}: {f['posts']} posts, macro-F1 {f['macro_f1']:.3f}, "
                  f"FPR normal {f['fpr_normal']:.3f}")
        if "embedding_kept" in m:
            print(f"{m['name'][:44]:44s} dev labels kept when embedded in real text: {json.dumps(m['embedding_kept'])}")
    gate = systems[0].get("ship_gate")
    if gate:
        print(f"ship gate ({gate['candidate']} vs {gate['baseline']}): {'PASS' if gate['passes'] else 'FAIL'} "
              f"(dev macro-F1 {gate['dev_macro_f1'][0]:.3f} vs {gate['dev_macro_f1'][1]:.3f}; real false alarms "
              f"{gate['real_false_alarms'][0]} vs {gate['real_false_alarms'][1]})")
    if args.out:
        print(f"report: {args.out / 'report.md'}")
    return systems


if __name__ == "__main__":
    main()
