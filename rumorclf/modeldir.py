"""The model-directory format: where the default model lives, validation, rumorclf.json, model card.

Validation runs before anything is loaded, so a hostile or broken directory is refused with a clear
message and nothing in it is unpickled or executed.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

CONFIG_NAME = "rumorclf.json"
DEFAULT_MODEL_NAME = "default"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
REMOTE_CODE_KEYS = ("auto_map", "custom_pipelines")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")


class ModelDirError(ValueError):
    """A model directory is missing, incomplete, or unsafe to load."""


def default_model_path() -> Path:
    """The model that ships inside the package."""
    return Path(str(resources.files("rumorclf").joinpath("models", DEFAULT_MODEL_NAME)))


def validate_model_dir(path: Path, *, need_rumorclf_config: bool = True, need_head: bool = True) -> None:
    """Refuse directories that are incomplete or that would load pickles or remote code."""
    path = Path(path)
    if not path.is_dir():
        hint = " (the packaged default model is missing: reinstall rumorclf)" if path == default_model_path() else ""
        raise ModelDirError(f"model directory not found: {path}{hint}")
    cfg_path = path / "config.json"
    if not cfg_path.exists():
        raise ModelDirError(f"{path} has no config.json: not a Hugging Face model directory")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelDirError(f"{cfg_path} is not valid JSON: {e}") from None
    if not isinstance(config, dict):
        raise ModelDirError(f"{cfg_path} must hold a JSON object, not {type(config).__name__}")
    hooks = [k for k in REMOTE_CODE_KEYS if k in config]
    if hooks:
        raise ModelDirError(f"{cfg_path} asks for remote code ({', '.join(hooks)}); rumorclf never "
                            "runs code from a model directory. Remove those keys or use another model.")
    index = path / "model.safetensors.index.json"
    if index.exists():  # every shard it names must itself be safetensors
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as e:
            raise ModelDirError(f"{index} is not a valid safetensors index: {e}") from None
        bad = sorted(str(x) for x in shards if not str(x).endswith(".safetensors"))
        if bad:
            raise ModelDirError(f"{index} points at non-safetensors weights ({', '.join(bad)}); refused")
    has_safetensors = (path / "model.safetensors").exists() or index.exists()
    if not has_safetensors:
        pickles = sorted(p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise ModelDirError(f"{path} holds weights only in pickle format ({', '.join(pickles)}); "
                                "rumorclf loads safetensors only. Convert with safetensors first.")
        raise ModelDirError(f"{path} has no model.safetensors")
    if not any((path / f).exists() for f in TOKENIZER_FILES):
        raise ModelDirError(f"{path} has no tokenizer (tokenizer.json or vocab.txt)")
    if need_rumorclf_config and not (path / CONFIG_NAME).exists():
        raise ModelDirError(f"{path} has no {CONFIG_NAME}: it is a base encoder, not a rumorclf "
                            "classifier. Fine-tune it first: rumorclf train --base {path} ...")


def read_model_config(path: Path) -> dict:
    try:
        cfg = json.loads((Path(path) / CONFIG_NAME).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelDirError(f"{path / CONFIG_NAME} is not valid JSON: {e}") from None
    if not isinstance(cfg, dict):
        raise ModelDirError(f"{path / CONFIG_NAME} must hold a JSON object")
    for key in ("labels", "taxonomy"):
        if key not in cfg:
            raise ModelDirError(f"{path / CONFIG_NAME} lacks '{key}'")
    return cfg


def write_model_card(path: Path, cfg: dict, extra: str = "") -> None:
    """Generate README.md from rumorclf.json: labels, thresholds, data, metrics."""
    tax = cfg["taxonomy"]
    lines = [
        f"# {cfg.get('name', 'rumorclf model')}",
        "",
        "A multi-label classifier of enterprise-targeting online infringement in Chinese posts, "
        "made with [rumorclf](https://pypi.org/project/rumorclf/). Load it with "
        "`rumorclf.RumorClassifier.from_pretrained(PATH)` or, as a plain Hugging Face model, with "
        "`AutoModelForSequenceClassification.from_pretrained(PATH)` (sigmoid per label).",
        "",
        f"- taxonomy: {tax.get('name')} v{tax.get('version')}, {len(cfg['labels'])} labels",
        f"- window: {cfg.get('max_length')} tokens, stride {cfg.get('stride')} (longer posts: max over windows)",
        f"- normaliser version: {cfg.get('normalizer_version')}",
    ]
    train = cfg.get("training")
    if train:
        lines.append(f"- base encoder: {train.get('base')}")
        lines.append(f"- training data: {train.get('train_file')} ({train.get('train_examples')} posts), "
                     f"dev {train.get('dev_file')}; seed {train.get('seed')}")
        lines.append(f"- settings: {train.get('epochs_run')} epochs run (best {train.get('best_epoch')}), "
                     f"lr {train.get('lr')}, batch {train.get('batch_size')}, augmentation {train.get('augment')}")
    lines += ["", "## Labels and thresholds", "", "| label | 中文 | family | threshold |", "|---|---|---|---|"]
    cats = {c["id"]: c for c in tax.get("categories", [])}
    for lab in cfg["labels"]:
        c = cats.get(lab, {})
        lines.append(f"| `{lab}` | {c.get('zh', '')} | {c.get('family', '')} | {cfg['thresholds'].get(lab, 0.5):.2f} |")
    metrics = cfg.get("metrics") or {}
    for split, m in metrics.items():
        if not isinstance(m, dict) or "per_label" not in m:
            continue
        lines += ["", f"## Evaluation on {split}", "",
                  f"micro-F1 {m['micro_f1']:.3f} · macro-F1 {m['macro_f1']:.3f} · "
                  f"false-positive rate on normal posts {m['fpr_normal']:.3f} · "
                  f"on hard negatives {m.get('fpr_hard_negative', float('nan')):.3f}", "",
                  "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for lab, r in m["per_label"].items():
            lines.append(f"| `{lab}` | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |")
    if extra:
        lines += ["", extra]
    lines += ["", "## Limits", "",
              "Trained on posts written for rumorclf (fictional companies), not on real platform data; "
              "check it against your own labelled sample before acting on its output, and retrain on "
              "your data (`rumorclf train`)."]
    (Path(path) / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
