"""Market: candles with volume, moving-average overlays and the latest numbers for one symbol."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import charts
from engine.indicators import ema, sma
from engine.money import format_price
from pages._shared import (
    CHART_CONFIG,
    data_badge,
    get_db,
    load_bars_cached,
    require_stored_symbols,
    stored_intervals,
)
from pages._widgets import metric_slots
from storage.instruments import get_instrument

st.title("Market")
st.caption("Candles, volume and moving averages for any stored symbol.")

symbols = require_stored_symbols()

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 2])
    default = st.session_state.get("market_symbol", symbols[0])
    symbol = c1.selectbox("Symbol", symbols, index=symbols.index(default) if default in symbols else 0,
                          key="market_symbol")
    intervals = stored_intervals(symbol) or ["1d"]
    interval = c2.selectbox("Interval", intervals, key="market_interval")
    adjusted = c3.toggle("Adjusted prices (splits/dividends)", value=False, key="market_adjusted",
                         help="Research uses adjusted series; trade logs use traded prices.")

bars = load_bars_cached(symbol, interval, adjusted)
if bars.empty:
    st.warning(f"No {interval} bars stored for {symbol}. Sync it on the Data page.")
    st.stop()

info = get_instrument(get_db(), symbol)
currency = info.currency if info else ""
daily = interval in {"1d", "1wk", "1mo"}
# Daily bars are labelled by their session date at 00:00 UTC: converting them would shift the date.
tz = "UTC" if daily or not info else info.timezone
first_day = bars.index[0].tz_convert(tz).date()
last_day = bars.index[-1].tz_convert(tz).date()
default_start = max(first_day, (bars.index[-1] - pd.DateOffset(years=1)).tz_convert(tz).date())

with st.container(border=True):
    d1, d2, d3, d4 = st.columns([2, 1, 1, 1])
    date_range = d1.date_input("Date range", value=(default_start, last_day), min_value=first_day,
                               max_value=last_day, key="market_dates")
    sma_period = d2.number_input("SMA period (0 = off)", 0, 400, 50, key="market_sma")
    ema_period = d3.number_input("EMA period (0 = off)", 0, 400, 20, key="market_ema")
    log_scale = d4.toggle("Log scale", value=False, key="market_log")

if not isinstance(date_range, tuple) or len(date_range) != 2:
    st.info("Pick an end date to complete the range.")
    st.stop()
start, end = date_range
local_dates = bars.index.tz_convert(tz).date
overlays = {}
if sma_period:
    overlays[f"SMA {sma_period}"] = sma(bars["close"], int(sma_period))
if ema_period:
    overlays[f"EMA {ema_period}"] = ema(bars["close"], int(ema_period))
mask = (local_dates >= start) & (local_dates <= end)
view = bars[mask]
if view.empty:
    st.warning("No bars in that date range — widen it.")
    st.stop()

data_badge([symbol])
last, prev = view["close"].iloc[-1], view["close"].iloc[-2] if len(view) > 1 else view["close"].iloc[-1]
year = bars[bars.index >= bars.index[-1] - pd.Timedelta(days=365)]
m = metric_slots(4)
m[0].metric("Last close", format_price(last, currency), f"{(last / prev - 1) * 100:+.2f}%")
m[1].metric("Range return", f"{(last / view['close'].iloc[0] - 1) * 100:+.2f}%",
            help="Close to close over the selected range.")
m[2].metric("52-week high", format_price(year["high"].max(), currency))
m[3].metric("52-week low", format_price(year["low"].min(), currency))

fig = charts.candlestick(view, overlays={k: v[mask] for k, v in overlays.items()}, tz=tz, daily=daily,
                         title=f"{symbol} · {interval}{' · adjusted' if adjusted else ''}")
if log_scale:
    fig.update_yaxes(type="log", row=1, col=1)
st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key="market_chart")

with st.expander(f"Bars ({len(view):,})"):
    table = view.drop(columns=["source"], errors="ignore").copy()
    table.index = table.index.tz_convert(tz)
    st.dataframe(table.sort_index(ascending=False), width="stretch", height=320)
    st.download_button("Download CSV", table.to_csv().encode(), f"{symbol}_{interval}.csv", "text/csv",
                       key="market_download")
