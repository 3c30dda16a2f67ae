"""Tear sheet of any equity curve: figures, metrics vs a benchmark, and a self-contained HTML export."""

from engine.tearsheet.data import (
    MIN_BARS,
    ROLLING_WINDOW,
    TEARSHEET_METRICS,
    TearSheet,
    align_benchmark,
    build_tearsheet,
    calendar_grid,
    rolling_figures,
    to_daily,
)
from engine.tearsheet.figures import FIGURE_TITLES, tearsheet_figures
from engine.tearsheet.report import (
    conventions_note,
    format_metric,
    metrics_table,
    render_html,
    tearsheet_html,
)

__all__ = [
    "FIGURE_TITLES",
    "MIN_BARS",
    "ROLLING_WINDOW",
    "TEARSHEET_METRICS",
    "TearSheet",
    "align_benchmark",
    "build_tearsheet",
    "calendar_grid",
    "conventions_note",
    "format_metric",
    "metrics_table",
    "render_html",
    "rolling_figures",
    "tearsheet_figures",
    "tearsheet_html",
    "to_daily",
]
