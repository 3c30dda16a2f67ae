"""Plotly figures of a tear sheet, built from a TearSheet with the shared chart template."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from engine import charts
from engine.tearsheet.data import TearSheet

BENCH_COLOR = "#9e9e9e"
FIGURE_TITLES = {
    "cumulative": "Cumulative return",
    "drawdown": "Underwater (drawdown)",
    "monthly": "Monthly returns",
    "yearly": "Yearly returns",
    "rolling_sharpe": "Rolling Sharpe",
    "rolling_volatility": "Rolling volatility",
    "rolling_beta": "Rolling beta",
    "calendar": "Daily P&L calendar",
    "distribution": "Daily return distribution",
}


def _x(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return index.tz_localize(None) if index.tz is not None else index


def cumulative_figure(ts: TearSheet, height: int = 380) -> go.Figure:
    """Cumulative return (%) of the strategy and the benchmark, both from 0 at the first date."""
    curves = {"Strategy": (ts.equity / ts.equity.iloc[0] - 1.0) * 100}
    if ts.benchmark is not None:
        known = ts.benchmark.dropna()
        curves[ts.benchmark_name] = (ts.benchmark / known.iloc[0] - 1.0) * 100
    fig = charts.line(curves, height=height, y_title="Cumulative return %")
    if len(fig.data) > 1:
        fig.data[1].line.update(color=BENCH_COLOR, dash="dot")
    fig.update_xaxes(rangeselector={"buttons": charts.RANGE_BUTTONS, "font": {"color": "#000"}})
    return charts.style(fig, height=height)


def drawdown_figure(ts: TearSheet, height: int = 260) -> go.Figure:
    """Underwater curve: drawdown (%) below the running peak."""
    fig = go.Figure(go.Scatter(x=_x(ts.drawdown.index), y=ts.drawdown.to_numpy() * 100, name="Drawdown %",
                               fill="tozeroy", line={"color": charts.DOWN, "width": 1}))
    fig.update_yaxes(title_text="Drawdown %")
    return charts.style(fig, height=height)


def monthly_figure(ts: TearSheet) -> go.Figure:
    """Years x months heatmap of compounded monthly returns (%), plus the year's return."""
    table = ts.monthly * 100
    return charts.heatmap(table, fmt=".1f", height=min(560, 90 + 32 * len(table)), y_title="")


def yearly_figure(ts: TearSheet, height: int = 300) -> go.Figure:
    """Bars of each calendar year's return (%), strategy beside the benchmark."""
    fig = go.Figure()
    for i, column in enumerate(ts.yearly.columns):
        name = ts.benchmark_name if column == "Benchmark" else column
        color = BENCH_COLOR if column == "Benchmark" else charts.PALETTE[i]
        values = ts.yearly[column] * 100
        fig.add_trace(go.Bar(x=[str(y) for y in ts.yearly.index], y=values.to_numpy(), name=name,
                             marker_color=color, hovertemplate="%{x}: %{y:.2f}%<extra>" + name + "</extra>"))
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="Return %")
    return charts.style(fig, height=height)


def rolling_figure(ts: TearSheet, column: str, height: int = 260) -> go.Figure:
    """One rolling figure over ts.window bars, with its reference line (0 or 1 for beta)."""
    series = ts.rolling[column].dropna()
    scale, unit = (100.0, " %") if column == "rolling_volatility" else (1.0, "")
    label = FIGURE_TITLES[column].replace("Rolling ", "").capitalize() + unit
    fig = charts.line({label: series * scale}, height=height, y_title=label)
    reference = {"rolling_sharpe": 0.0, "rolling_beta": 1.0}.get(column)
    if reference is not None:
        fig.add_hline(y=reference, line={"color": BENCH_COLOR, "width": 1, "dash": "dot"})
    if series.empty:
        fig.add_annotation(text=f"needs {ts.window} daily returns", showarrow=False, xref="paper",
                           yref="paper", x=0.5, y=0.5)
    return charts.style(fig, height=height)


def calendar_figure(ts: TearSheet, height: int = 240) -> go.Figure:
    """GitHub-style calendar: week columns x weekday rows, each day coloured by its return."""
    grid = ts.calendar * 100
    z = grid.to_numpy(dtype=float)
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    dates = np.array([[pd.Timestamp(week) + pd.Timedelta(days=row) for week in grid.columns]
                      for row in range(len(grid.index))])
    text = np.vectorize(lambda d: d.strftime("%a %d %b %Y"))(dates) if dates.size else dates
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in grid.columns], y=list(grid.index), text=text, colorscale="RdYlGn",
        zmid=0.0, zmin=-bound, zmax=bound, xgap=2, ygap=2, hoverongaps=False,
        hovertemplate="%{text}<br>%{z:+.2f}%<extra></extra>", colorbar={"title": {"text": "%"}},
    ))
    fig.update_xaxes(type="category", showticklabels=False, title_text="weeks (latest on the right)")
    fig.update_yaxes(type="category", autorange="reversed")
    return charts.style(fig, height=height)


def distribution_figure(ts: TearSheet, height: int = 300) -> go.Figure:
    """Histogram of daily returns (%) with a fitted normal curve and the historical 95 % VaR."""
    r = ts.returns.to_numpy() * 100
    bins = int(min(80, max(10, math.sqrt(len(r)) * 2)))
    counts, edges = np.histogram(r, bins=bins)
    width = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centres, y=counts, width=width, name="Days", marker_color=charts.PALETTE[0],
                           opacity=0.75, hovertemplate="%{x:.2f}%: %{y} days<extra></extra>"))
    mu, sd = float(np.mean(r)), float(np.std(r, ddof=1)) if len(r) > 1 else 0.0
    if sd > 0:
        xs = np.linspace(edges[0], edges[-1], 200)
        pdf = np.exp(-0.5 * ((xs - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) * len(r) * width
        fig.add_trace(go.Scatter(x=xs, y=pdf, name="Normal fit", line={"color": charts.PALETTE[1], "width": 2}))
    var = ts.stats.get("var_95")
    if var is not None and math.isfinite(var):
        fig.add_vline(x=var * 100, line={"color": charts.DOWN, "dash": "dash"},
                      annotation_text=f"VaR 95% {var * 100:.2f}%", annotation_position="top left")
    fig.update_layout(hovermode="closest", bargap=0)
    fig.update_xaxes(title_text="Daily return %")
    fig.update_yaxes(title_text="Days")
    return charts.style(fig, height=height)


def tearsheet_figures(ts: TearSheet) -> dict[str, go.Figure]:
    """Every figure of the tear sheet in reading order, keyed as FIGURE_TITLES."""
    figures = {
        "cumulative": cumulative_figure(ts),
        "drawdown": drawdown_figure(ts),
        "monthly": monthly_figure(ts),
        "yearly": yearly_figure(ts),
        "rolling_sharpe": rolling_figure(ts, "rolling_sharpe"),
        "rolling_volatility": rolling_figure(ts, "rolling_volatility"),
    }
    if "rolling_beta" in ts.rolling:
        figures["rolling_beta"] = rolling_figure(ts, "rolling_beta")
    figures["calendar"] = calendar_figure(ts)
    figures["distribution"] = distribution_figure(ts)
    return figures
