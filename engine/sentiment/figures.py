"""Plotly figures for sentiment (data in, figure out): the daily index as ± bars over the price, counts beneath."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine import charts


def _dates(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Day labels (00:00 UTC) shown as their date, never shifted by a zone."""
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def index_price_figure(index: pd.Series, counts: pd.Series, price: pd.Series | None = None, *,
                       price_name: str = "Close", height: int = 440) -> go.Figure:
    """Daily mean sentiment as bars (green above 0, red below) on the left axis, the price as a line on the
    right axis, and the number of headlines per day beneath. `index`/`counts` are labelled by day."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.03,
                        specs=[[{"secondary_y": True}], [{}]])
    x = _dates(index.index)
    n = counts.reindex(index.index).fillna(0).astype(int)
    fig.add_trace(go.Bar(x=x, y=index.to_numpy(), name="Sentiment (daily mean)", customdata=n.to_numpy(),
                         marker_color=[charts.UP if v >= 0 else charts.DOWN for v in index.to_numpy()],
                         hovertemplate="%{y:+.2f} from %{customdata} headlines<extra></extra>"),
                  row=1, col=1, secondary_y=False)
    if price is not None and not price.empty:
        fig.add_trace(go.Scatter(x=_dates(price.index), y=price.to_numpy(), name=price_name, mode="lines",
                                 line={"color": charts.PALETTE[0], "width": 1.6}), row=1, col=1, secondary_y=True)
        fig.update_yaxes(title_text=price_name, showgrid=False, row=1, col=1, secondary_y=True)
    fig.add_trace(go.Bar(x=x, y=n.to_numpy(), name="Headlines", marker_color="#9e9e9e", opacity=0.7,
                         showlegend=False, hovertemplate="%{y} headlines<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title_text="Sentiment", range=[-1.05, 1.05], zeroline=True, row=1, col=1, secondary_y=False)
    fig.update_yaxes(title_text="Items", row=2, col=1)
    fig.update_xaxes(rangeselector={"buttons": charts.RANGE_BUTTONS, "font": {"color": "#000"}}, row=1, col=1)
    fig = charts.style(fig, height=height)
    fig.update_layout(margin={"t": 44}, bargap=0.15)
    return fig

