"""Moved to `rumorclf.analysis.explain` (issue 17); this name stays for existing imports."""

from .analysis.explain import content_words, explain_predictions

__all__ = ["content_words", "explain_predictions"]
