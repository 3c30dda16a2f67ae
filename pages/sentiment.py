"""Sentiment: stored headlines with their sentiment, the per-symbol daily index over the price, and a fetch button."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from engine.errors import QuantdeskError
from engine.sentiment.figures import index_price_figure
from engine.sentiment.index import index_series, pick_model
from engine.sentiment.news import fetch_news, model_label
from pages._shared import get_db, load_bars_cached, settings, stored_symbols
from pages._widgets import CHART_CONFIG, metric_slots
from storage import news as store

P = "sent"
IST = "Asia/Kolkata"
ALL = "All"
LABELS = ("positive", "negative", "neutral")

st.title("📰 Sentiment")
st.caption("Headlines from Yahoo Finance and market news feeds, scored for sentiment, and each symbol's daily "
           "sentiment index next to its price.")


@st.cache_data(ttl=60, show_spinner=False)
def stats_cached() -> dict[str, object]:
    return store.news_stats(get_db())


@st.cache_data(ttl=60, show_spinner=False)
def facets_cached() -> dict[str, list[str]]:
    return store.news_facets(get_db())


@st.cache_data(ttl=60, show_spinner="Loading headlines…")
def news_cached(symbol: str | None, source: str | None, label: str | None, start: date, end: date,
                search: str) -> pd.DataFrame:
    return store.list_news(get_db(), symbol=symbol, source=source, label=label, search=search or None, limit=500,
                           start=_ist_midnight(start), end=_ist_midnight(end + timedelta(days=1)))


@st.cache_data(ttl=60, show_spinner=False)
def daily_cached(symbol: str) -> pd.DataFrame:
    return store.read_daily(get_db(), symbol)


def _ist_midnight(day: date) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(IST).tz_convert("UTC")


def clear_news_caches() -> None:
    for fn in (stats_cached, facets_cached, news_cached, daily_cached):
        fn.clear()


def fetch_now() -> None:
    """Run one fetch with a progress bar; the report is kept in session state for the notice below."""
    bar = st.progress(0.0, text="Fetching news…")

    def progress(done: int, total: int, what: str) -> None:
        verb = "Scoring headlines" if what == "scoring" else f"Fetching {what}"
        bar.progress(min(done / max(total, 1), 1.0), text=f"{verb} · {done:,} / {total:,}")

    try:
        report = fetch_news(get_db(), settings(), progress=progress)
    except QuantdeskError as exc:
        st.error(str(exc))
        return
    finally:
        bar.empty()
    st.session_state[f"{P}_report"] = report.as_dict() | {"summary": report.summary()}
    clear_news_caches()


def show_report() -> None:
    report = st.session_state.get(f"{P}_report")
    if not report:
        return
    if report["status"] == "offline":
        scored = f" ({report['scored']} stored headlines scored)" if report["scored"] else ""
        st.warning(f"**Offline** — no news source could be reached; showing stored news{scored}.", icon="📴")
    elif report["status"] == "partial":
        st.warning(report["summary"], icon="⚠️")
        with st.expander("Sources that failed"):
            st.dataframe(pd.DataFrame(report["errors"].items(), columns=["source", "error"]), hide_index=True,
                         width="stretch")
    else:
        st.success(report["summary"], icon="✅")


left, right = st.columns([1, 3], vertical_alignment="center")
if left.button("Fetch news now", key=f"{P}_fetch", type="primary", icon="🔄"):
    fetch_now()
stats = stats_cached()
fetched = stats["last_fetched"]
right.caption("Last fetch: " + (pd.Timestamp(fetched).tz_convert(IST).strftime("%d %b %Y %H:%M IST") if fetched
                                else "never") + f" · every {settings().news_every_minutes:g} min in the background")
show_report()

if not stats["items"]:
    st.info("No news stored yet — click **Fetch news now** (needs a network connection; Yahoo Finance news for the "
            "watchlist plus the feeds in settings).", icon="📰")
    st.stop()

facets = facets_cached()
models = facets["models"]
if not models:
    st.info("Headlines are stored but none is scored yet — click **Fetch news now** to score them.", icon="⏳")
else:
    names = ", ".join(dict.fromkeys(model_label(m) for m in models))
    st.caption(f"Scored by **{names}**" + (" — FinBERT was not available when these were scored"
                                           if all("finbert" not in m.lower() for m in models) else ""))

# ---- headlines ------------------------------------------------------------------------------------------
st.subheader("Headlines")
first = pd.Timestamp(stats["first_published"]).tz_convert(IST).date()
last = pd.Timestamp(stats["last_published"]).tz_convert(IST).date()
left, right = st.columns(2, gap="small")  # stack on a phone; each keeps its pair side by side
c = [*left.columns(2, gap="small", wrap=False), *right.columns([1, 2], gap="small", wrap=False)]
symbol = c[0].selectbox("Symbol", [ALL, *facets["symbols"]], key=f"{P}_symbol")
label = c[1].selectbox("Label", [ALL, *LABELS], key=f"{P}_label")
source = c[2].selectbox("Source", [ALL, *facets["sources"]], key=f"{P}_source")
span = c[3].date_input("Published (IST)", (max(first, last - timedelta(days=30)), last), key=f"{P}_dates")
search = st.text_input("Search headlines", key=f"{P}_search", placeholder="e.g. results, guidance, RBI")
if not isinstance(span, tuple | list) or len(span) != 2:
    st.info("Pick both a start and an end date.")
    st.stop()
start, end = span
pick = lambda v: None if v == ALL else v  # noqa: E731
headlines = news_cached(pick(symbol), pick(source), pick(label), start, end, search.strip())
if headlines.empty:
    st.info("No headlines match these filters — widen the dates or clear the search.", icon="🔎")
else:
    shown = pd.DataFrame({
        "Time (IST)": headlines["published_at"].dt.tz_convert(IST).dt.tz_localize(None),
        "Score": headlines["score"], "Headline": headlines["title"], "Label": headlines["label"].fillna("unscored"),
        "Symbols": headlines["symbols"], "Model": headlines["model"].map(model_label),
        "Source": headlines["source"], "Link": headlines["link"],
    })

    def tone(v: float) -> str:
        if pd.isna(v):
            return ""
        return "color: #26a69a" if v > 0.05 else "color: #ef5350" if v < -0.05 else "color: #9e9e9e"

    st.dataframe(shown.style.map(tone, subset=["Score"]).format({"Score": "{:+.2f}"}, na_rep="—"),
                 key=f"{P}_table", hide_index=True, width="stretch", column_config={
                     "Time (IST)": st.column_config.DatetimeColumn(format="DD MMM YYYY, HH:mm"),
                     "Headline": st.column_config.TextColumn(width="large"),
                     "Link": st.column_config.LinkColumn(display_text="open ↗")})
    st.caption(f"{len(headlines):,} headlines" + (" (newest 500)" if len(headlines) == 500 else ""))

# ---- the per-symbol index --------------------------------------------------------------------------------
st.subheader("Daily sentiment index")
symbols = facets["symbols"]
if not symbols:
    st.info("No headline mentions a watched symbol yet, so there is no per-symbol index.", icon="🏷️")
    st.stop()
followed = st.session_state.get(f"{P}_followed")
if symbol in symbols and symbol != followed:  # the index follows a newly picked symbol filter
    st.session_state[f"{P}_index_symbol"] = symbol
elif st.session_state.get(f"{P}_index_symbol") not in symbols:
    st.session_state[f"{P}_index_symbol"] = symbols[0]
st.session_state[f"{P}_followed"] = symbol
chosen = st.selectbox("Symbol", symbols, key=f"{P}_index_symbol")
daily = daily_cached(chosen)
if daily.empty:
    st.info(f"No scored headlines for {chosen} yet.", icon="⏳")
    st.stop()
model_names = sorted(daily["model"].unique())
model = pick_model(daily)
if len(model_names) > 1:
    model = st.radio("Model", model_names, index=model_names.index(model), horizontal=True, key=f"{P}_model",
                     format_func=model_label)
mean = index_series(daily, chosen, model)
counts = index_series(daily, chosen, model, column="count")
pos = index_series(daily, chosen, model, column="pos_share")
week = mean.index >= mean.index[-1] - pd.Timedelta(days=6)
slots = metric_slots(4)
slots[0].metric("Latest day", f"{mean.iloc[-1]:+.2f}", help=f"{mean.index[-1]:%d %b %Y}, {model_label(model)}",
                delta=None if len(mean) < 2 else f"{mean.iloc[-1] - mean.iloc[-2]:+.2f}")
slots[1].metric("7-day mean", f"{(mean[week] * counts[week]).sum() / counts[week].sum():+.2f}",
                help="Mean score of the headlines of the last 7 days that had news")
slots[2].metric("Headlines (7 days)", f"{int(counts[week].sum()):,}")
slots[3].metric("Positive share (7 days)", f"{(pos[week] * counts[week]).sum() / counts[week].sum():.0%}")

price = None
if chosen in stored_symbols("1d"):
    bars = load_bars_cached(chosen, "1d", True)
    lo = mean.index[0] - pd.Timedelta(days=30)
    price = bars.loc[bars.index >= lo, "close"]
else:
    st.caption(f"No stored daily bars for {chosen} — sync it on the Data page to see the price beside the index.")
st.plotly_chart(index_price_figure(mean, counts, price, price_name=f"{chosen} close"), key=f"{P}_index_chart",
                width="stretch", config=CHART_CONFIG)
st.caption("Days are dates in the exchange's time zone; a day's value is complete only after that day, so a "
           "strategy filter uses it from the next bar on (see engine.sentiment.index).")
