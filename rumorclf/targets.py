"""Moved to `rumorclf.analysis.targets` (the finder), `rumorclf.analysis.watchlist` (files and
entries), `rumorclf.analysis.pinyin` and `rumorclf.analysis.auto_targets` (issue 17); this name
stays for existing imports."""

from .analysis.pinyin import pinyin_variants
from .analysis.targets import TargetFinder, load_watchlist
from .analysis.watchlist import TARGET_TYPES, WatchlistError, parse_watchlist

__all__ = ["TARGET_TYPES", "TargetFinder", "WatchlistError", "load_watchlist", "parse_watchlist", "pinyin_variants"]
