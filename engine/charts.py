"""Plotly figure builders (data in, figure out) shared by pages and reports; one consistent template."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

TEMPLATE = "plotly_dark"
# Every figure starts with the house template: plotly applies a default template at construction for
# ~1 ms, while setting one afterwards by name re-validates it (~80 ms a figure).
pio.templates.default = TEMPLATE
UP, DOWN = "#26a69a", "#ef5350"
PALETTE = ("#2e9bff", "#ffb74d", "#ba68c8", "#4dd0e1", "#aed581", "#f06292")
RANGE_BUTTONS = [
    {"count": 1, "label": "1M", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6M", "step": "month", "stepmode": "backward"},
    {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    {"count": 1, "label": "1Y", "step": "year", "stepmode": "backward"},
    {"count": 5, "label": "5Y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "All"},
]


def _layout(fig: go.Figure, height: int, title: str | None = None, range_buttons: bool = False) -> go.Figure:
    # Legend below the plot: above it, it collides with the title, the range buttons and the modebar
    # (on a 390 px phone there is no room for all four on one line).
    top = (40 if title else 10) + (34 if range_buttons else 0)
    if pio.templates.default != TEMPLATE:  # another library changed plotly's default: set ours explicitly
        fig.update_layout(template=TEMPLATE)
    fig.update_layout(
        height=height, title={"text": title, "y": 0.99, "yanchor": "top"} if title else None,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.07, "x": 0}, hovermode="x unified",
    )
    return fig


def _day_labels(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Daily bars are labelled 00:00 UTC of their session date: show that date, never shift it by a zone."""
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def _local_index(index: pd.DatetimeIndex, tz: str | None) -> pd.DatetimeIndex:
    return index.tz_convert(tz) if tz and index.tz is not None else index


def candlestick(
    bars: pd.DataFrame, *, title: str | None = None, overlays: dict[str, pd.Series] | None = None,
    markers: pd.DataFrame | None = None, tz: str | None = None, height: int = 560, daily: bool = True,
) -> go.Figure:
    """Candles with volume beneath, optional indicator overlays and entry/exit markers.

    `markers` has columns time, price, kind ("entry_long", "exit_long", "entry_short", "exit_short").
    """
    x = _day_labels(bars.index) if daily else _local_index(bars.index, tz)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.02)
    fig.add_trace(
        go.Candlestick(x=x, open=bars["open"], high=bars["high"], low=bars["low"], close=bars["close"],
                       name="Price", increasing_line_color=UP, decreasing_line_color=DOWN, showlegend=False),
        row=1, col=1,
    )
    for i, (name, series) in enumerate((overlays or {}).items()):
        fig.add_trace(go.Scatter(x=x, y=series.to_numpy(), name=name, mode="lines",
                                 line={"width": 1.4, "color": PALETTE[i % len(PALETTE)]}), row=1, col=1)
    colors = [UP if c >= o else DOWN for o, c in zip(bars["open"], bars["close"])]
    fig.add_trace(go.Bar(x=x, y=bars["volume"], name="Volume", marker_color=colors, opacity=0.6,
                         showlegend=False), row=2, col=1)
    if markers is not None and not markers.empty:
        _add_markers(fig, markers, tz, daily)
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_xaxes(rangeselector={"buttons": RANGE_BUTTONS, "font": {"color": "#000"}}, row=1, col=1)
    if daily:
        fig.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}] if _is_weekday_only(bars.index) else [])
    fig.update_yaxes(title_text="Volume", row=2, col=1)
    return _layout(fig, height, title, range_buttons=True)


def _is_weekday_only(index: pd.DatetimeIndex) -> bool:
    return len(index) > 0 and bool((index.dayofweek < 5).all())


_MARKER_STYLE = {
    "entry_long": ("triangle-up", UP, "Buy"),
    "exit_long": ("triangle-down", "#ffffff", "Sell (exit long)"),
    "entry_short": ("triangle-down", DOWN, "Short"),
    "exit_short": ("triangle-up", "#ffffff", "Cover (exit short)"),
}


def _add_markers(fig: go.Figure, markers: pd.DataFrame, tz: str | None, daily: bool) -> None:
    for kind, (symbol, color, label) in _MARKER_STYLE.items():
        sub = markers[markers["kind"] == kind]
        if sub.empty:
            continue
        times = pd.DatetimeIndex(sub["time"])
        x = _day_labels(times) if daily else _local_index(times, tz)
        fig.add_trace(go.Scatter(x=x, y=sub["price"], mode="markers", name=label,
                                 marker={"symbol": symbol, "size": 11, "color": color,
                                         "line": {"width": 1, "color": "#000"}}), row=1, col=1)


def equity_drawdown(
    equity: pd.Series, *, benchmark: pd.Series | None = None, title: str | None = None, height: int = 520,
    benchmark_name: str = "Buy & hold",
) -> go.Figure:
    """Equity against a benchmark (rebased to the same start) with the underwater drawdown beneath."""
    x = equity.index.tz_localize(None) if equity.index.tz is not None else equity.index
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.03)
    fig.add_trace(go.Scatter(x=x, y=equity.to_numpy(), name="Strategy", line={"color": PALETTE[0], "width": 2}),
                  row=1, col=1)
    if benchmark is not None and len(benchmark.dropna()):
        bench = benchmark.reindex(equity.index).ffill()
        first = bench.dropna()
        if len(first):
            rebased = bench / first.iloc[0] * float(equity.iloc[0])
            fig.add_trace(go.Scatter(x=x, y=rebased.to_numpy(), name=benchmark_name,
                                     line={"color": "#9e9e9e", "width": 1.5, "dash": "dot"}), row=1, col=1)
    drawdown = equity / equity.cummax() - 1.0
    fig.add_trace(go.Scatter(x=x, y=drawdown.to_numpy() * 100, name="Drawdown %", fill="tozeroy",
                             line={"color": DOWN, "width": 1}), row=2, col=1)
    fig.update_yaxes(title_text="Equity", row=1, col=1)
    fig.update_yaxes(title_text="DD %", row=2, col=1)
    fig.update_xaxes(rangeselector={"buttons": RANGE_BUTTONS, "font": {"color": "#000"}}, row=1, col=1)
    return _layout(fig, height, title, range_buttons=True)


MAX_ANNOTATED_CELLS = 300  # beyond this the numbers in the cells are too small to read: hover instead


def heatmap(
    table: pd.DataFrame, *, title: str | None = None, fmt: str = ".2f", height: int = 420,
    colorscale: str = "RdYlGn", zmid: float | None = 0.0, x_title: str = "", y_title: str = "",
) -> go.Figure:
    """Heatmap of a 2-D table (sweeps, monthly returns, correlations), values written in the cells
    when there are at most MAX_ANNOTATED_CELLS of them."""
    annotate = table.size <= MAX_ANNOTATED_CELLS
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy(dtype=float), x=[str(c) for c in table.columns], y=[str(i) for i in table.index],
        colorscale=colorscale, zmid=zmid, texttemplate=f"%{{z:{fmt}}}" if annotate else None,
        hovertemplate=f"{x_title or 'x'} %{{x}}<br>{y_title or 'y'} %{{y}}<br>%{{z:{fmt}}}<extra></extra>",
        hoverongaps=False,
    ))
    fig.update_xaxes(title_text=x_title, type="category")
    fig.update_yaxes(title_text=y_title, type="category", autorange="reversed")
    return _layout(fig, height, title)


def line(series: dict[str, pd.Series], *, title: str | None = None, height: int = 360, y_title: str = "") -> go.Figure:
    fig = go.Figure()
    for i, (name, s) in enumerate(series.items()):
        x = s.index.tz_localize(None) if isinstance(s.index, pd.DatetimeIndex) and s.index.tz is not None else s.index
        fig.add_trace(go.Scatter(x=x, y=s.to_numpy(), name=name, line={"color": PALETTE[i % len(PALETTE)]}))
    fig.update_yaxes(title_text=y_title)
    return _layout(fig, height, title)


def trade_markers(trades: pd.DataFrame, symbol: str | None = None) -> pd.DataFrame:
    """Entry and exit markers (time, price, kind) for `candlestick` from a trades table.

    `trades` has side ("long"/"short"), entry_time, entry_price, exit_time, exit_price (and symbol,
    used to keep only `symbol`'s trades when given). Open positions closed at the end ("end") still
    get an exit marker at the last close.
    """
    columns = ["time", "price", "kind"]
    if trades is None or trades.empty:
        return pd.DataFrame(columns=columns)
    if symbol is not None and "symbol" in trades.columns:
        trades = trades[trades["symbol"] == symbol]
    side = trades["side"].where(trades["side"].isin(["long", "short"]), "long")
    entries = pd.DataFrame({"time": trades["entry_time"], "price": trades["entry_price"], "kind": "entry_" + side})
    exits = pd.DataFrame({"time": trades["exit_time"], "price": trades["exit_price"], "kind": "exit_" + side})
    return pd.concat([entries, exits], ignore_index=True)[columns]


def equity_overlay(curves: dict[str, pd.Series], *, title: str | None = None, height: int = 420) -> go.Figure:
    """Several equity curves rebased to 100 at their own first value, overlaid for comparison."""
    rebased = {}
    for name, s in curves.items():
        clean = s.dropna()
        if len(clean):
            rebased[name] = clean / float(clean.iloc[0]) * 100.0
    fig = line(rebased, title=title, height=height, y_title="Growth of 100")
    fig.update_xaxes(rangeselector={"buttons": RANGE_BUTTONS, "font": {"color": "#000"}})
    return _layout(fig, height, title, range_buttons=True)


def style(fig: go.Figure, *, height: int = 360, title: str | None = None) -> go.Figure:
    """Apply the Quantdesk template, margins and legend to a figure built elsewhere (e.g. plotly express)."""
    return _layout(fig, height, title)
