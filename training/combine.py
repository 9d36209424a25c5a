"""Combine a fine-tuned BERT with the char n-gram model into one model directory (issue 14).

    python -m training.combine runs/bert --out runs/combined [--test data/test.jsonl]
    rumorclf combine runs/bert --out runs/combined                        # the same

The n-gram half is the TF-IDF baseline of `training.evaluate --tfidf` itself (char 1-3 grams +
one-vs-rest logistic regression), fitted on the BERT's training data with the same real negatives
(re-sampled from the BERT's recipe), so "the combination beats the baseline" compares equal data.
For each weight w of the n-gram side (w = 0: the BERT alone, w = 1: the baseline alone) the
combined logit (1 - w) * bert_logit / T + w * ngram_logit gets its own temperature and per-label
thresholds on dev; the w with the best dev macro-F1 (w < 1: a combination, never the baseline
alone) is kept. Then, if the recipe names a real corpus, windows (126/64/32 characters) are tried
on the n-gram side: a post is flagged by its whole-post mix or by one window of it at a margin e over
the threshold; the (window, e) keeping most of dev's infringing labels when those posts are embedded
in real text (`training.evaluate --embed-corpus`'s check), at a dev macro-F1 no lower than whole
posts', is kept (`--no-window-search`: whole posts). Printed: the grid, then dev / test macro-F1 and the real-post figures
(`../shared/real_dev`, evaluation only) of the BERT alone, the baseline and the combination, and
whether the combination passes the ship gate (dev macro-F1 above the baseline's, real false
alarms no more than the baseline's). The output directory is a complete model: the BERT's files,
ngram.safetensors, ngram_vocab.json and rumorclf.json with the mix, thresholds and figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from . import configure_run
from .calibration import fit_temperature
from .data import default_real_dev, load_split, multi_hot, read_real_dev
from .evaluate import (_Corpora, _training_negatives, embedded_forms, fit_tfidf, labels_kept, real_post_figures,
                       written_swap_share)
from .metrics import compute_metrics, expected_calibration_error, predict_sets, tune_thresholds

log = logging.getLogger("rumorclf.combine")
WEIGHT_GRID = tuple(round(w, 2) for w in np.arange(0.0, 1.001, 0.1))
# n-gram windows tried on top of the whole-post mix, and how many logits (of the calibrated mix) a
# window must clear the threshold by (training/README.md, "whole post, or windows at + e")
WINDOW_GRID = (126, 64, 32)
MARGIN_GRID = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def choose_mix(bert_dev: np.ndarray, ngram_dev: np.ndarray, y_dev: np.ndarray, labels,
               weights=WEIGHT_GRID) -> tuple[list[dict], dict]:
    """Per weight: the mix temperature and thresholds fitted on dev, and dev macro-F1.

    bert_dev: the BERT's calibrated logits (max window logit / T); ngram_dev: n-gram logits.
    Returns (one row per weight, the chosen row: best dev macro-F1 among w < 1, ties to smaller w).
    """
    rows = []
    for w in weights:
        z = (1.0 - w) * bert_dev + w * ngram_dev
        t = fit_temperature(z, y_dev)
        thr = tune_thresholds(y_dev, _sigmoid(z / t))
        f1 = compute_metrics(y_dev, predict_sets(_sigmoid(z / t), thr), labels)["macro_f1"]
        rows.append({"weight": float(w), "temperature": t, "thresholds": thr, "dev_macro_f1": round(f1, 4)})
    candidates = [r for r in rows if r["weight"] < 1.0] or rows
    best = max(candidates, key=lambda r: (r["dev_macro_f1"], -r["weight"]))
    return rows, best


def normalized_sets(sets: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each named list of raw texts normalised as the classifier normalises its input."""
    from rumorclf.normalize import normalize_text

    return {k: [normalize_text(t) for t in texts] for k, texts in sets.items()}


def bert_logits(clf, clean: dict[str, list[str]], batch_size: int = 64) -> dict[str, np.ndarray]:
    """The BERT half's calibrated logits (max window logit / T) of each named set of normalised texts."""
    out = {}
    for k, texts in clean.items():
        log.info("scoring %s with the BERT (%d posts)", k, len(texts))
        out[k] = (clf.score_normalized(texts, batch_size, logits=True)[0] / clf.temperature if texts
                  else np.zeros((0, len(clf.labels))))
    return out


def ngram_logits(ngram, clean: dict[str, list[str]]) -> dict[str, np.ndarray]:
    return {k: ngram.logits(texts) if texts else np.zeros((0, ngram.n_labels)) for k, texts in clean.items()}


def mixed_logits(bert: dict, gram: dict, row: dict) -> dict:
    """The combined logits of a `choose_mix` row for every set: ((1 - w) * bert + w * ngram) / T."""
    w, t = row["weight"], row["temperature"]
    return {k: ((1 - w) * bert[k] + w * gram[k]) / t for k in bert}


def combine(bert_dir: str, out: str, test: str | None = None, real_dev: str | None = None,
            name: str | None = None, batch_size: int = 64, window: int = 0, window_search: bool = True) -> dict:
    from rumorclf import RumorClassifier
    from rumorclf.ngram import CharNgramScorer

    t0 = time.time()
    clf = RumorClassifier.from_pretrained(bert_dir)
    if clf.ngram is not None:
        raise SystemExit(f"{bert_dir} is already a combined model: give the fine-tuned BERT's directory")
    labels, tax, meta = clf.labels, clf.taxonomy, clf.meta
    recipe = meta.get("training", {})
    train_ex = load_split(recipe.get("train_file") or "train", tax)
    dev_ex = load_split(recipe.get("dev_file") or "dev", tax)
    test_ex = load_split(test, tax) if test else []
    real = read_real_dev(real_dev) if real_dev else []
    labelled = [e.text for e in train_ex + dev_ex + test_ex]
    negatives, share, weight = _training_negatives(meta, labelled, _Corpora())
    log.info("fitting the n-gram model: %d written posts, %d real negatives (weight %.2f), embed share %.2f",
             len(train_ex), len(negatives), weight, share)
    vec, ovr = fit_tfidf(train_ex, labels, int(recipe.get("seed", 13)), negatives, share, weight,
                         written_swap_names=written_swap_share(meta))
    # round-trip through the stored form (fp16 coefficients), so what is measured is what ships
    Path(out).mkdir(parents=True, exist_ok=True)
    scorer = CharNgramScorer.from_sklearn(vec, ovr)
    scorer.window, scorer.stride = window, window // 4
    ngram = CharNgramScorer.load(out, scorer.save(out))

    sets = {"dev": [e.text for e in dev_ex], "test": [e.text for e in test_ex], "real": [r["text"] for r in real]}
    clean = normalized_sets(sets)
    bert, gram = bert_logits(clf, clean, batch_size), ngram_logits(ngram, clean)
    y = {"dev": multi_hot(dev_ex, labels), "test": multi_hot(test_ex, labels)}
    grid, best = choose_mix(bert["dev"], gram["dev"], y["dev"], labels)

    def figures(row) -> dict:
        thr = row["thresholds"]
        s = {k: _sigmoid(z) for k, z in mixed_logits(bert, gram, row).items()}
        f = {"weight": row["weight"],
             "dev_macro_f1": round(compute_metrics(y["dev"], predict_sets(s["dev"], thr), labels)["macro_f1"], 4)}
        if test_ex:
            f["test_macro_f1"] = round(compute_metrics(y["test"], predict_sets(s["test"], thr), labels)["macro_f1"], 4)
        if real:
            f.update(real_post_figures(s["real"], thr, real))
        return f

    by_w = {r["weight"]: r for r in grid}
    report = {"bert": figures(by_w[0.0]), "tfidf": figures(by_w[1.0]), "whole_post": figures(best),
              "grid": [figures(r) for r in grid]}
    if window_search and not window and 0 < best["weight"]:
        context = _embedding_context(recipe, test_ex)
        if context:
            report["windows"] = search_windows(clf, scorer, best, bert["dev"], gram["dev"], y["dev"], dev_ex,
                                               clean["dev"], labels, context, batch_size)
            chosen = report["windows"]["chosen"]
            if chosen:  # the n-gram half scores the whole post, or a window `margin` logits over it
                scorer.window, scorer.stride = chosen["window"], chosen["window"] // 4
                scorer.window_margin = chosen["margin"] * best["temperature"] / best["weight"]
                ngram = CharNgramScorer.load(out, scorer.save(out))
                gram = ngram_logits(ngram, clean)
    report["combined"] = figures(best)
    fa = (report["combined"].get("real_false_alarms"), report["tfidf"].get("real_false_alarms"))
    report["passes_gate"] = bool(report["combined"]["dev_macro_f1"] > report["tfidf"]["dev_macro_f1"]
                                 and (fa[0] is None or fa[0] <= fa[1]))

    clf.ngram, clf.ngram_weight, clf.mix_temperature = ngram, best["weight"], best["temperature"]
    clf.thresholds = dict(zip(labels, map(float, best["thresholds"])))
    families = [tax.family_of(x) for x in labels]
    dev_scores = clf.score_texts(sets["dev"], batch_size)
    metrics = {"dev": compute_metrics(y["dev"], predict_sets(dev_scores, best["thresholds"]), labels, families,
                                      np.array([e.hard_negative for e in dev_ex]))}
    metrics["dev"]["ece"] = round(expected_calibration_error(y["dev"], dev_scores), 4)
    if test_ex:
        metrics["test"] = compute_metrics(y["test"], predict_sets(clf.score_texts(sets["test"], batch_size),
                                                                  best["thresholds"]), labels, families,
                                          np.array([e.hard_negative for e in test_ex]))
    clf.meta = {**meta, "name": name or Path(out).name, "metrics": metrics,
                "combination": {"bert": str(bert_dir), "bert_name": meta.get("name"),
                                "ngram": "TF-IDF char 1-3 + one-vs-rest logistic regression (C=10), "
                                         "the training.evaluate baseline on the same data",
                                "chosen_on": "dev macro-F1", "minutes": round((time.time() - t0) / 60, 1),
                                "ngram_windows": (report.get("windows") or {}).get("chosen"),
                                **{k: report[k] for k in ("bert", "tfidf", "combined", "passes_gate")}}}
    clf.save_pretrained(out, card_extra=card_section(report))
    (Path(out) / "combination.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


def _embedding_context(recipe: dict, test_ex) -> list[str]:
    """Real lines to embed dev's infringing posts in: the ones `training.evaluate --embed-corpus` uses."""
    corpus = recipe.get("negatives")
    if not corpus or not Path(corpus).exists():
        log.info("no real corpus in the recipe (%s): the n-gram half scores whole posts", corpus)
        return []
    return _Corpora().sample(corpus, 3000, seed=99, exclude=[e.text for e in test_ex])


def search_windows(clf, scorer, best: dict, bert_dev, gram_dev, y_dev, dev_ex, dev_clean, labels, context,
                   batch_size) -> dict:
    """Each (window, margin) of WINDOW_GRID x MARGIN_GRID on top of the chosen mix: dev macro-F1 and
    the share of dev's infringing posts' labels kept when they are embedded in real text."""
    from rumorclf.ngram import CharNgramScorer

    w, t = best["weight"], best["temperature"]
    thr = np.asarray(best["thresholds"], dtype=np.float32)
    pos, forms = embedded_forms(dev_ex, context)
    gold = multi_hot(pos, labels).astype(bool)
    at = [i for i, e in enumerate(dev_ex) if e.labels]
    clean_forms = normalized_sets(forms)
    bert_forms = bert_logits(clf, clean_forms, batch_size)
    gram_forms = ngram_logits(scorer, clean_forms)

    def kept(dev_z, forms_z) -> float:
        alone = _sigmoid(dev_z[at]) >= thr
        return labels_kept(alone, gold, {k: _sigmoid(z) >= thr for k, z in forms_z.items()})["all"]

    def mix(b, g):
        return ((1 - w) * b + w * g) / t

    rows = [{"window": 0, "margin": None, "dev_macro_f1": best["dev_macro_f1"],
             "embedded_kept": kept(mix(bert_dev, gram_dev), {k: mix(bert_forms[k], gram_forms[k]) for k in forms})}]
    for win in WINDOW_GRID:
        windowed = CharNgramScorer(scorer.vocab, scorer.idf, scorer.coef, scorer.intercept, scorer.ngram_range,
                                   scorer.lowercase, scorer.sublinear_tf, win, win // 4)
        win_dev = windowed.logits(dev_clean)
        win_forms = ngram_logits(windowed, clean_forms)
        for e in MARGIN_GRID:
            def z(b, g, gw):  # whole-post mix, or the windowed mix e logits under its score
                return np.maximum(mix(b, g), mix(b, gw) - e)

            dev_z = z(bert_dev, gram_dev, win_dev)
            rows.append({"window": win, "margin": e, "dev_macro_f1": round(compute_metrics(
                y_dev, predict_sets(_sigmoid(dev_z), thr), labels)["macro_f1"], 4),
                "embedded_kept": kept(dev_z, {k: z(bert_forms[k], gram_forms[k], win_forms[k]) for k in forms})})
            log.info("n-gram windows %d at + %.1f: %s", win, e, rows[-1])
    return {"rows": rows, "chosen": choose_window(rows)}


def choose_window(rows: list[dict]) -> dict | None:
    """The (window, margin) row keeping the most embedded labels among those whose dev macro-F1 is no
    lower than the whole-post mix's (rows[0]); ties to the larger margin. None: whole posts stay."""
    ok = [r for r in rows[1:] if r["dev_macro_f1"] >= rows[0]["dev_macro_f1"]
          and r["embedded_kept"] > rows[0]["embedded_kept"]]
    return max(ok, key=lambda r: (r["embedded_kept"], r["margin"]), default=None)


def card_section(report: dict) -> str:
    lines = ["## Combination", "",
             f"Scores mix the fine-tuned BERT with a char 1-3-gram TF-IDF linear model: combined logit = "
             f"(1 - w) x BERT logit + w x n-gram logit, w = {report['combined']['weight']} chosen on dev. "
             "Loaded as a plain Hugging Face model, only the BERT half is used.", "",
             "| system | dev macro-F1 | test macro-F1 | real false alarms | real enterprise rumours flagged |",
             "|---|---|---|---|---|"]
    chosen = (report.get("windows") or {}).get("chosen")
    for key, title in (("bert", "BERT alone"), ("tfidf", "TF-IDF baseline alone"),
                       ("whole_post", "combined, n-gram on whole posts"), ("combined", "combined")):
        if key != "whole_post" or chosen:
            lines.append(_row(title, report[key]))
    if chosen:
        lines += ["", f"The n-gram half scores a post longer than {chosen['window']} characters as its whole text "
                  f"or as its most suspicious {chosen['window']}-character window, the window counted "
                  f"{chosen['margin']:g} logits of the mix below its score (chosen on dev: the most embedded "
                  f"labels kept, {chosen['embedded_kept']:.1%} against "
                  f"{report['windows']['rows'][0]['embedded_kept']:.1%} for whole posts, at a dev macro-F1 no "
                  "lower than whole posts')."]
    return "\n".join(lines)


def _row(title: str, f: dict) -> str:
    def pct(v):
        return "–" if v is None else f"{v:.1%}"

    return (f"| {title} | {f['dev_macro_f1']:.4f} | {f.get('test_macro_f1', float('nan')):.4f} | "
            f"{pct(f.get('real_false_alarms'))} | {pct(f.get('real_enterprise_rumours_flagged'))} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bert", help="a fine-tuned model directory (training.train's output)")
    p.add_argument("--out", required=True, help="output model directory")
    p.add_argument("--test", default=None, help="also report this labelled JSONL (never used for choices)")
    p.add_argument("--real-dev", default=default_real_dev(),
                   help="real Weibo posts for the real-post figures (default: ../shared/real_dev if present)")
    p.add_argument("--name", default=None, help="the model's name (default: the --out folder's name)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--ngram-window", type=int, default=0,
                   help="score posts longer than this many characters as their most suspicious window "
                        "(overlap a quarter); 0 = the whole post, as the baseline does")
    p.add_argument("--no-window-search", action="store_true",
                   help="keep whole-post n-gram scoring instead of trying windows at a margin on dev")
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)
    configure_run()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    report = combine(args.bert, args.out, args.test, args.real_dev, args.name, args.batch_size, args.ngram_window,
                     not args.no_window_search)
    print("| w (n-gram) | dev macro-F1 | test macro-F1 | real false alarms | real enterprise rumours flagged |")
    print("|---|---|---|---|---|")
    for f in report["grid"]:
        print(_row(str(f["weight"]), f))
    if report.get("windows"):
        print("\n| n-gram window | margin (mix logits) | dev macro-F1 | embedded kept |\n|---|---|---|---|")
        for r in report["windows"]["rows"]:
            print(f"| {r['window'] or 'whole post'} | {'' if r['margin'] is None else r['margin']} "
                  f"| {r['dev_macro_f1']:.4f} | {r['embedded_kept']:.1%} |")
    print()
    print(card_section(report))
    print(f"\nship gate (dev macro-F1 above the baseline's, real false alarms no more than its): "
          f"{'PASS' if report['passes_gate'] else 'FAIL'}")


if __name__ == "__main__":
    main()
