"""Plotly figures of a tear sheet, built from a TearSheet with the shared chart template."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from engine import charts
from engine.tearsheet.data import WEEKDAYS, TearSheet

BENCH_COLOR = "#9e9e9e"
FIGURE_TITLES = {
    "cumulative": "Cumulative return vs benchmark · underwater drawdown",
    "monthly": "Monthly returns (%)",
    "yearly": "Yearly returns (%)",
    "rolling": "Rolling Sharpe · volatility · beta",
    "calendar": "Daily P&L calendar",
    "distribution": "Daily return distribution",
}
# Above the plot: below it, a legend collides with the x tick labels and axis title on a phone; these
# figures have no title or range buttons up there.
LEGEND_TOP = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0}
TOP_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
ROLLING_ROWS = {"rolling_sharpe": ("Sharpe", 1.0, 0.0), "rolling_volatility": ("Vol %", 100.0, None),
                "rolling_beta": ("Beta", 1.0, 1.0)}  # label, scale, reference line


@cache
def _house_layout() -> dict[str, Any]:
    """charts.style applied once to an empty figure (template, margins, legend), as plain JSON."""
    fig = charts.style(go.Figure())
    # the house template is plotly's default, applied at construction, which _validate=False skips
    return {**fig.layout.to_plotly_json(), "template": pio.templates[charts.TEMPLATE].to_plotly_json()}


def _figure(traces: list[Any], height: int, layout: go.Layout) -> go.Figure:
    """A figure in the house style without re-validating the template for every figure.

    Applying a template costs ~80 ms a figure in plotly; `traces` and `layout` are validated graph
    objects, and the house layout was validated once by charts.style, so the merge skips validation.
    """
    merged = {**_house_layout(), **layout.to_plotly_json(), "height": height}
    return go.Figure(data=traces, layout=merged, _validate=False)


def _x(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return index.tz_localize(None) if index.tz is not None else index


def cumulative_figure(ts: TearSheet, height: int = 460) -> go.Figure:
    """Growth of 100 for the strategy and the benchmark (same start), the underwater drawdown beneath."""
    growth = ts.equity / ts.equity.iloc[0] * 100.0
    fig = charts.equity_drawdown(growth, benchmark=ts.benchmark, height=height, benchmark_name=ts.benchmark_name)
    fig.update_yaxes(title_text="Growth of 100", row=1, col=1)
    return fig


def monthly_figure(ts: TearSheet) -> go.Figure:
    """Years x months heatmap of compounded monthly returns (%), plus the year's return."""
    table = ts.monthly * 100
    return charts.heatmap(table, fmt=".1f", height=min(560, 90 + 32 * len(table)), x_title="month",
                          y_title="year")


def yearly_figure(ts: TearSheet, height: int = 300) -> go.Figure:
    """Bars of each calendar year's return (%), strategy beside the benchmark."""
    traces = []
    for column in ts.yearly.columns:
        is_bench = column == "Benchmark"
        name = ts.benchmark_name if is_bench else column
        traces.append(go.Bar(x=[str(y) for y in ts.yearly.index], y=(ts.yearly[column] * 100).to_numpy(),
                             name=name, marker_color=BENCH_COLOR if is_bench else charts.PALETTE[0],
                             hovertemplate="%{x}: %{y:.2f}%<extra>" + name + "</extra>"))
    layout = go.Layout(barmode="group", hovermode="closest", xaxis={"type": "category"},
                       yaxis={"title": {"text": "Return %"}}, legend=LEGEND_TOP, margin=TOP_MARGIN)
    return _figure(traces, height, layout)


def _reference_line(y: float, axis: str) -> dict[str, Any]:
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": axis, "y0": y, "y1": y,
            "line": {"color": BENCH_COLOR, "width": 1, "dash": "dot"}}


def rolling_figure(ts: TearSheet, row_height: int = 170) -> go.Figure:
    """Rolling Sharpe, volatility (and beta) over ts.window daily returns: stacked rows, one date axis."""
    columns = [c for c in ROLLING_ROWS if c in ts.rolling]
    x, n, gap = _x(ts.rolling.index), len(columns), 0.05
    span = (1.0 - gap * (n - 1)) / n
    traces, axes, shapes = [], {}, []
    for i, column in enumerate(columns):
        label, scale, reference = ROLLING_ROWS[column]
        axis = "y" if i == 0 else f"y{i + 1}"
        top = 1.0 - i * (span + gap)
        traces.append(go.Scatter(x=x, y=ts.rolling[column].to_numpy() * scale, name=label, yaxis=axis,
                                 line={"color": charts.PALETTE[i], "width": 1.5}))
        axes["yaxis" if i == 0 else f"yaxis{i + 1}"] = {"domain": [top - span, top], "title": {"text": label}}
        if reference is not None:
            shapes.append(_reference_line(reference, axis))
    annotations = []
    if ts.rolling.dropna(how="all").empty:
        annotations.append({"text": f"needs {ts.window} daily returns", "showarrow": False, "xref": "paper",
                            "yref": "paper", "x": 0.5, "y": 0.5})
    layout = go.Layout(xaxis={"anchor": f"y{n}" if n > 1 else "y"}, shapes=shapes, annotations=annotations,
                       showlegend=False, **axes)
    return _figure(traces, 40 + row_height * n, layout)


def _calendar_text(grid: pd.DataFrame) -> np.ndarray:
    weeks = pd.DatetimeIndex(grid.columns)
    offsets = [pd.Timedelta(days=WEEKDAYS.index(day)) for day in grid.index]
    return np.array([(weeks + offset).strftime("%a %d %b %Y").to_numpy() for offset in offsets])


def calendar_figure(ts: TearSheet, height: int = 240) -> go.Figure:
    """GitHub-style calendar: week columns x weekday rows, each day coloured by its return (%).

    The colour scale is symmetric and capped at the 98th percentile of |return| so one outlier day
    does not wash out the rest (hover shows the exact figure).
    """
    grid = ts.calendar * 100
    z = grid.to_numpy(dtype=float)
    finite = np.abs(z[np.isfinite(z)])
    bound = max(float(np.percentile(finite, 98)), 1e-6) if finite.size else 1.0
    weeks = [str(c) for c in grid.columns]
    months = pd.DatetimeIndex(grid.columns).to_period("M")
    firsts = [i for i in range(1, len(weeks)) if months[i] != months[i - 1]]
    if weeks and (not firsts or firsts[0] >= 3):  # label the opening partial month only if it has room
        firsts.insert(0, 0)
    if len(firsts) > 7:  # every other month, so the labels fit a 390 px phone
        firsts = firsts[(len(firsts) - 1) % 2::2]  # keep the latest month
    years = [months[i].year for i in firsts]
    labels = [months[i].strftime("%b %y" if j == 0 or years[j] != years[j - 1] else "%b")
              for j, i in enumerate(firsts)]  # the year only where it changes
    heat = go.Heatmap(
        z=z, x=weeks, y=list(grid.index), text=_calendar_text(grid), colorscale="RdYlGn",
        zmid=0.0, zmin=-bound, zmax=bound, xgap=1, ygap=1, hoverongaps=False,
        hovertemplate="%{text}<br>%{z:+.2f}%<extra></extra>", colorbar={"title": {"text": "%"}, "thickness": 10},
    )
    layout = go.Layout(hovermode="closest", yaxis={"type": "category", "autorange": "reversed"},
                       xaxis={"type": "category", "tickvals": [weeks[i] for i in firsts],
                              "ticktext": labels, "tickangle": 0})
    return _figure([heat], height, layout)


def distribution_figure(ts: TearSheet, height: int = 300) -> go.Figure:
    """Histogram of daily returns (%) with the fitted normal curve and the historical 95 % VaR line."""
    r = ts.returns.to_numpy() * 100
    counts, edges = np.histogram(r, bins=int(min(80, max(10, math.sqrt(len(r)) * 2))))
    width = float(edges[1] - edges[0])
    traces: list[Any] = [go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=width, name="Days",
                                marker_color=charts.PALETTE[0], opacity=0.75,
                                hovertemplate="%{x:.2f}%: %{y} days<extra></extra>")]
    mu, sd = float(np.mean(r)), float(np.std(r, ddof=1))
    if sd > 0:
        xs = np.linspace(edges[0], edges[-1], 200)
        pdf = np.exp(-0.5 * ((xs - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) * len(r) * width
        traces.append(go.Scatter(x=xs, y=pdf, name="Normal fit", line={"color": charts.PALETTE[1], "width": 2}))
    shapes, annotations = [], []
    var = ts.stats.get("var_95")
    if var is not None and math.isfinite(var):
        shapes.append({"type": "line", "xref": "x", "x0": var * 100, "x1": var * 100, "yref": "paper", "y0": 0,
                       "y1": 1, "line": {"color": charts.DOWN, "dash": "dash"}})
        annotations.append({"text": f"VaR 95% {var * 100:.2f}%", "x": var * 100, "xref": "x", "y": 1,
                            "yref": "paper", "xanchor": "right", "showarrow": False})
    layout = go.Layout(bargap=0, hovermode="closest", shapes=shapes, annotations=annotations, legend=LEGEND_TOP,
                       margin=TOP_MARGIN,
                       xaxis={"title": {"text": "Daily return %"}}, yaxis={"title": {"text": "Days"}})
    return _figure(traces, height, layout)


BUILDERS: dict[str, Callable[[TearSheet], go.Figure]] = {
    "cumulative": cumulative_figure,
    "monthly": monthly_figure,
    "yearly": yearly_figure,
    "rolling": rolling_figure,
    "calendar": calendar_figure,
    "distribution": distribution_figure,
}


def tearsheet_figures(ts: TearSheet, names: tuple[str, ...] | None = None) -> dict[str, go.Figure]:
    """The tear sheet's figures in reading order (or only `names`), keyed as FIGURE_TITLES."""
    return {name: build(ts) for name, build in BUILDERS.items() if names is None or name in names}
