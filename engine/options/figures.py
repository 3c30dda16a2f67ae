"""Plotly figures for options (data in, figure out): payoff, Greeks vs spot, IV smile, open interest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine import charts
from engine.options.bsm import bsm_greeks

# Below the plot and clear of the tick labels (the shared template's legend sits on them in short charts).
_LEGEND = {"legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0}, "margin": {"b": 30}}


def spot_grid(spot: float, strike: float, points: int = 121) -> np.ndarray:
    """Spot prices from 50 % below to 50 % above the span of spot and strike."""
    lo, hi = min(spot, strike) * 0.5, max(spot, strike) * 1.5
    return np.linspace(lo, hi, points)


def payoff_figure(spot: float, strike: float, years: float, rate: float, vol: float, div: float, kind: str,
                  *, height: int = 320) -> go.Figure:
    """Value of one long option: at expiry (intrinsic) and today (Black-Scholes-Merton) against the spot;
    the dashed line is today's premium, so where the expiry line crosses it is the break-even."""
    grid = spot_grid(spot, strike)
    is_call = kind.lower().startswith("c")
    payoff = np.maximum(grid - strike, 0.0) if is_call else np.maximum(strike - grid, 0.0)
    today = bsm_greeks(grid, strike, years, rate, vol, div, kind).price
    premium = float(bsm_greeks(spot, strike, years, rate, vol, div, kind).price)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=grid, y=payoff, name="At expiry", line={"color": charts.PALETTE[1], "width": 2}))
    fig.add_trace(go.Scatter(x=grid, y=today, name="Today", line={"color": charts.PALETTE[0], "width": 2}))
    fig.add_hline(y=premium, line={"dash": "dash", "color": "#9e9e9e", "width": 1})
    fig.add_vline(x=spot, line={"dash": "dot", "color": "#9e9e9e", "width": 1})
    fig.update_yaxes(title_text="Option value")
    fig = charts.style(fig, height=height, title=f"{kind.capitalize()} {strike:g}: value vs spot")
    return fig.update_layout(**_LEGEND)


def greeks_figure(spot: float, strike: float, years: float, rate: float, vol: float, div: float, kind: str,
                  *, height: int = 500) -> go.Figure:
    """Delta, gamma, theta per day and vega per 1 % against the spot, one small panel each."""
    grid = spot_grid(spot, strike)
    g = bsm_greeks(grid, strike, years, rate, vol, div, kind)
    panels = {"Delta": g.delta, "Gamma": g.gamma, "Theta / day": g.theta_per_day, "Vega / 1%": g.vega_pct}
    fig = make_subplots(rows=2, cols=2, subplot_titles=list(panels), vertical_spacing=0.16, horizontal_spacing=0.1)
    for i, (name, values) in enumerate(panels.items()):
        fig.add_trace(go.Scatter(x=grid, y=values, name=name, showlegend=False,
                                 line={"color": charts.PALETTE[i], "width": 2}), row=i // 2 + 1, col=i % 2 + 1)
        fig.add_vline(x=spot, line={"dash": "dot", "color": "#9e9e9e", "width": 1}, row=i // 2 + 1, col=i % 2 + 1)
    fig = charts.style(fig, height=height, title="Greeks vs spot")
    return fig.update_layout(margin={"t": 80})  # the panel titles sit below the title and the modebar


def smile_figure(smile: pd.DataFrame, spot: float | None, *, height: int = 340) -> go.Figure:
    """Calls' and puts' implied vol (%) by strike, with the spot marked."""
    fig = go.Figure()
    for col, name, color in (("call_iv", "Calls", charts.UP), ("put_iv", "Puts", charts.DOWN)):
        rows = smile.dropna(subset=[col])
        fig.add_trace(go.Scatter(x=rows["strike"], y=rows[col] * 100, name=name, mode="lines+markers",
                                 line={"color": color, "width": 1.5}, marker={"size": 5}))
    if spot:
        fig.add_vline(x=spot, line={"dash": "dot", "color": "#9e9e9e", "width": 1})
    fig.update_yaxes(title_text="Implied vol (%)")
    return charts.style(fig, height=height, title="Volatility smile by strike").update_layout(**_LEGEND)


def open_interest_figure(oi: pd.DataFrame, spot: float | None, max_pain: float | None,
                         *, height: int = 340) -> go.Figure:
    """Open interest by strike (calls and puts side by side), spot and max pain marked."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=oi["strike"], y=oi["calls"], name="Calls", marker_color=charts.UP))
    fig.add_trace(go.Bar(x=oi["strike"], y=oi["puts"], name="Puts", marker_color=charts.DOWN))
    if spot:
        fig.add_vline(x=spot, line={"dash": "dot", "color": "#9e9e9e", "width": 1})
    if max_pain is not None:
        fig.add_vline(x=max_pain, line={"dash": "dash", "color": charts.PALETTE[1], "width": 1},
                      annotation_text="max pain", annotation_position="top")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="Open interest (contracts)")
    return charts.style(fig, height=height, title="Open interest by strike").update_layout(**_LEGEND)
