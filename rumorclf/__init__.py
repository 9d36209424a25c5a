"""rumorclf: flag Chinese social-media posts that attack enterprises online (15 categories, multi-label)."""

from .classifier import Prediction, RumorClassifier
from .modeldir import ModelDirError
from .normalize import NormalizedText, normalize
from .taxonomy import Taxonomy, TaxonomyError

__version__ = "0.1.0"
__all__ = ["RumorClassifier", "Prediction", "Taxonomy", "TaxonomyError", "ModelDirError",
           "normalize", "NormalizedText", "__version__"]
