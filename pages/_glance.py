"""Overview sections: positions, alerts, breakers, data freshness, jobs (an `_overview.py` would clash with its URL)."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from engine.data.instruments import instrument_for
from engine.data.providers.base import is_intraday
from engine.errors import DataError
from engine.money import format_money
from engine.overview import SchedulerHealth

P = "overview"
TZ = "Asia/Kolkata"
STATUS_LABELS = {"fresh": "🟢 fresh", "stale": "🟠 stale", "demo": "🧪 demo", "failed": "🔴 failed",
                 "missing": "⚪ missing"}
JOB_ICONS = {"ok": "✅", "failed": "🔴", "skipped": "⏭️", "running": "⏳", "never run": "⚪"}


def _ist(ts: object, fmt: str = "%d %b %H:%M") -> str:
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return "—"
    stamp = pd.Timestamp(ts)
    return (stamp.tz_localize("UTC") if stamp.tz is None else stamp).tz_convert(TZ).strftime(fmt)


def _md(text: object) -> str:
    """User text (deployment names, reasons) made literal in markdown: no emphasis, code or LaTeX."""
    return "".join("\\" + ch if ch in "\\`*_$[]~" else ch for ch in str(text))


def human_age(delta: pd.Timedelta | None) -> str:
    """'just now', '12 min', '3 h 5 min', '2 d 4 h'; '—' for None."""
    if delta is None or pd.isna(delta):
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _signed_money(value: float, currency: str) -> str:
    """'▲ ₹1,234.00' / '▼ -₹56.00': the direction readable at a glance without styling the table."""
    if not isinstance(value, float | int) or math.isnan(value):
        return "—"
    return f"{'▲' if value > 0 else '▼' if value < 0 else '·'} {format_money(value, currency)}"


def _links(*links: tuple[str, str, str]) -> None:
    """Page links (page, label, icon) side by side; they stack on a phone."""
    for col, (page, label, icon) in zip(st.columns(len(links)), links, strict=True):
        with col:
            st.page_link(page, label=label, icon=icon)


def positions(frame: pd.DataFrame) -> None:
    if frame.empty:
        st.info("No open positions — deploy a strategy to paper trading, or add holdings to a portfolio.", icon="📭")
        _links(("pages/paper.py", "Paper Trading", "🧾"), ("pages/portfolio.py", "Portfolio", "💼"))
        return
    cur = frame["currency"]  # each row in its own currency, nothing converted
    table = pd.DataFrame({  # P&L right after the symbol: what a phone shows first
        "Symbol": frame["symbol"], "P&L": [_signed_money(v, c) for v, c in zip(frame["pnl"], cur)],
        "P&L %": frame["pnl_pct"] * 100, "Qty": frame["qty"],
        "Avg": [format_money(v, c) for v, c in zip(frame["avg_price"], cur)],
        "LTP": [format_money(v, c) for v, c in zip(frame["last_price"], cur)], "Book": frame["book"]})
    st.dataframe(table, hide_index=True, width="stretch", key=f"{P}_positions", column_config={
        "P&L %": st.column_config.NumberColumn("P&L %", format="%+.2f%%"),
        "Qty": st.column_config.NumberColumn("Qty", format="%,.0f")})
    st.caption("Paper: average fill and the last tick's price; P&L after entry costs. Holdings: FIFO average cost "
               "incl. fees and the latest stored close.")


def alerts(events: pd.DataFrame, unread: int) -> None:
    if events.empty:
        st.info("No alert has fired yet — add a rule, e.g. *Price above* on a symbol you watch.", icon="🔔")
        st.page_link("pages/alerts.py", label="Add an alert rule", icon="🔔")
        return
    lines = [f"- {'✔️' if pd.notna(e.acknowledged_at) else '🔔 **new**'} · {_ist(e.fired_at)} · {_md(e.rule)} — "
             f"{_md(e.message)}" for e in events.itertuples(index=False)]
    st.markdown("\n".join(lines))  # a short list reads better than a grid on a phone, and renders sooner
    label = f"Acknowledge {unread} on Alerts" if unread else "All alerts on Alerts"
    st.page_link("pages/alerts.py", label=label, icon="✔️" if unread else "🔔")


def breakers(frame: pd.DataFrame) -> None:
    """Tripped breakers first, each in red with its reason; the armed ones on one line."""
    if frame.empty:
        st.info("No deployment has a circuit breaker — set a daily-loss breaker when you deploy to paper.", icon="🛡️")
        st.page_link("pages/paper.py", label="Paper Trading", icon="🧾")
        return
    tripped = frame[frame["status"] == "TRIPPED"]
    for row in tripped.itertuples(index=False):
        since = f" since {_ist(row.tripped_at)} IST" if row.tripped_at else ""
        st.error(f"**TRIPPED** · {_md(row.deployment)}{since} — {_md(row.reason or 'no reason recorded')}. "
                 "New entries are blocked.", icon="🛑")
    armed = frame.loc[frame["status"] != "TRIPPED", "deployment"].tolist()
    if armed:
        st.caption("✅ OK (armed): " + " · ".join(_md(a) for a in armed))
    if len(tripped):
        st.page_link("pages/paper.py", label="Review and reset on Paper Trading", icon="🔓")


def _last_bar(symbol: str, interval: str, ts: object) -> str:
    if ts is None or pd.isna(ts):
        return "—"
    if not is_intraday(interval):
        return pd.Timestamp(ts).strftime("%d %b %Y")  # daily bars are labelled by their session date
    try:
        zone = instrument_for(symbol).timezone
    except DataError:
        zone = "UTC"
    return pd.Timestamp(ts).tz_convert(zone).strftime("%d %b %H:%M %Z")


def freshness(frame: pd.DataFrame, spark_bars: int) -> None:
    if frame.empty:
        st.info("The watchlist is empty — sync some symbols (or set the watchlist in your config).", icon="🗄️")
        st.page_link("pages/data.py", label="Go to Data", icon="🗄️")
        return
    table = pd.DataFrame({  # symbol, status and trend first: what a phone shows without scrolling
        "Symbol": frame["symbol"], "Status": frame["status"].map(STATUS_LABELS), "Trend": frame["closes"],
        "Age": frame["age"].map(human_age),
        "Last bar": [_last_bar(s, i, t) for s, i, t in zip(frame["symbol"], frame["interval"], frame["last_bar"])],
        "Problem": frame["error"]})
    st.dataframe(table, hide_index=True, width="stretch", key=f"{P}_data", column_config={
        "Trend": st.column_config.LineChartColumn("Trend", width="small", help=f"The last {spark_bars} closes"),
        "Age": st.column_config.TextColumn("Age", help="Time since the newest bar closed")})
    if (frame["status"] != "fresh").any():
        st.page_link("pages/data.py", label="Sync or repair on Data", icon="🗄️")
    else:
        st.caption(f"{frame['interval'].iloc[0]} bars · fresh = the newest bar the exchange calendar expects.")


def scheduler_line(health: SchedulerHealth) -> None:
    if health.heartbeat_age_s is None:
        heartbeat = ""
    else:
        age = human_age(pd.Timedelta(seconds=health.heartbeat_age_s))
        heartbeat = "heartbeat just now" if age == "just now" else f"heartbeat {age} ago"
    if health.is_running:
        st.caption(f"Jobs run on `{health.holder}` · {heartbeat} · this app's scheduler setting: **{health.mode}**")
    elif health.mode == "off":
        st.info("The scheduler is off: nothing syncs, ticks or checks alerts by itself. Set scheduler = \"thread\" "
                "or run `python -m engine worker`.", icon="⏸️")
    else:
        last = f" (last {heartbeat})" if heartbeat else ""
        hint = "start `python -m engine worker`" if health.mode == "worker" else "restart the app"
        st.warning(f"No scheduler holds the job lease{last}: jobs are not running — {hint}.", icon="⏹️")


def jobs(health: SchedulerHealth, frame: pd.DataFrame) -> None:
    scheduler_line(health)
    if (frame["status"] == "never run").all():
        st.caption("No job has run yet. You can sync data by hand meanwhile.")
        _links(("pages/data.py", "Sync now on Data", "🗄️"), ("pages/settings.py", "Scheduler on Settings", "⚙️"))
        return
    lines = []
    for job in frame.itertuples(index=False):
        took = "" if pd.isna(job.duration_s) else f" · {job.duration_s:,.1f} s"
        when = "" if job.started_at is None or pd.isna(job.started_at) else f" · {_ist(job.started_at)} IST"
        note = f" — {_md(job.note[:160])}" if job.note else ""
        lines.append(f"- {JOB_ICONS.get(job.status, '')} **{job.job}** {job.status}{when}{took}{note}")
    st.markdown("\n".join(lines))
    failed = frame[frame["last_error"] != ""].sort_values("last_error_at", ascending=False)
    if len(failed):
        last = failed.iloc[0]
        st.caption(f"Last error — {last['job']}, {_ist(last['last_error_at'])} IST: {_md(last['last_error'][:300])}")
    if len(failed) or not health.is_running:
        st.page_link("pages/settings.py", label="Cadences and job health on Settings", icon="⚙️")
