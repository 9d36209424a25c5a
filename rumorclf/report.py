"""Moved to `rumorclf.analysis.report`; this module re-exports its public names so that
`from rumorclf.report import build_report` (and the `rumorclf report` command) keep working."""

from .analysis.report import (  # noqa: F401
    DATE_FIELDS,
    DIMENSIONS,
    FAMILY_COLOURS,
    FONT_STACK,
    MAX_FILL_DAYS,
    SNIPPET_CHARS,
    UNKNOWN_DAY,
    ReportDependencyError,
    ReportError,
    build_report,
    csv_rows,
    highlight,
    parse_day,
    render_html,
)

__all__ = ["DATE_FIELDS", "DIMENSIONS", "FAMILY_COLOURS", "FONT_STACK", "MAX_FILL_DAYS",
           "SNIPPET_CHARS", "UNKNOWN_DAY", "ReportDependencyError", "ReportError", "build_report",
           "csv_rows", "highlight", "parse_day", "render_html"]
