"""Plotly figures for the optimiser: efficient frontier, weights, and the rebalanced backtest."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from engine import charts
from engine.optimizer.backtest import AllocationBacktest
from engine.optimizer.frontier import Frontier, PortfolioPoint

_HOVER = "%{text}<br>volatility %{x:.1%}<br>return %{y:.1%}<extra></extra>"


def frontier_figure(frontier: Frontier, chosen: PortfolioPoint | None = None, *, title: str | None = None,
                    height: int = 420) -> go.Figure:
    """Frontier line, each asset as a point, the min-volatility and max-Sharpe portfolios, and the chosen one."""
    fig = go.Figure()
    curve = frontier.curve
    fig.add_trace(go.Scatter(x=curve["volatility"], y=curve["expected_return"], mode="lines", name="Efficient frontier",
                             line={"color": charts.PALETTE[0], "width": 2.5},
                             text=[f"Sharpe {s:.2f}" for s in curve["sharpe"]], hovertemplate=_HOVER))
    assets = frontier.assets
    fig.add_trace(go.Scatter(x=assets["volatility"], y=assets["expected_return"], mode="markers+text",
                             name="Assets", text=[str(s) for s in assets.index], textposition="top center",
                             textfont={"size": 10}, marker={"size": 8, "color": "#9e9e9e"}, hovertemplate=_HOVER))
    marks = [("Min volatility", frontier.min_volatility, "diamond", charts.PALETTE[3]),
             ("Max Sharpe", frontier.max_sharpe, "star", charts.PALETTE[1]),
             ("Chosen portfolio", chosen, "circle-open", charts.UP)]
    for name, point, symbol, color in marks:
        if point is None:
            continue
        fig.add_trace(go.Scatter(x=[point.volatility], y=[point.expected_return], mode="markers", name=name,
                                 text=[f"{name}, Sharpe {point.sharpe:.2f}"], hovertemplate=_HOVER,
                                 marker={"symbol": symbol, "size": 16 if symbol == "circle-open" else 13,
                                         "color": color, "line": {"width": 2, "color": color}}))
    fig.update_xaxes(title_text="Volatility (annual)", tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(title_text="Expected return (annual)", tickformat=".0%")
    charts.style(fig, height=height, title=title)
    # the shared legend sits just under the plot, where this chart's x-axis title is
    fig.update_layout(hovermode="closest", legend={"y": -0.2}, margin={"b": 20})
    return fig


def weights_figure(weights: Mapping[str, float], *, title: str | None = None, height: int | None = None) -> go.Figure:
    """Horizontal bars of the held weights, largest on top."""
    held = sorted(((k, v) for k, v in weights.items() if v > 0), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[v for _, v in held], y=[k for k, _ in held], orientation="h",
                           marker_color=charts.PALETTE[0], text=[f"{v:.1%}" for _, v in held],
                           textposition="auto", hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    charts.style(fig, height=height or max(220, 34 * len(held) + 80), title=title)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def backtest_figure(result: AllocationBacktest, *, title: str | None = None, height: int = 480) -> go.Figure:
    """Optimised equity against equal weight (same monthly rebalancing), drawdown beneath."""
    return charts.equity_drawdown(result.equity, benchmark=result.equal_weight, title=title, height=height,
                                  benchmark_name="Equal weight")
