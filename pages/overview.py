"""Overview: is everything fine? Equity, today's P&L, positions, alerts, breakers, data freshness and jobs at a glance."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from engine.errors import QuantdeskError
from engine.money import format_money
from engine.overview import SPARK_BARS, CurrencyTotal, Snapshot, build_snapshot
from pages import _glance as parts
from pages._shared import get_db, settings
from pages._widgets import metric_slots

P = "overview"  # session-state prefix
REFRESH_SECONDS = 30  # live sections re-read the database this often (no setting for it yet)
SNAPSHOT_TTL_S = 20  # shorter than the refresh, so every refresh reads fresh numbers
TZ = "Asia/Kolkata"

st.title("Overview")
st.caption("Is everything fine? Equity, today's P&L, open positions, alerts, circuit breakers, data and jobs.")


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def snapshot_cached() -> Snapshot:
    cfg = settings()
    return build_snapshot(get_db(), watchlist=cfg.watchlist, interval=cfg.default_interval,
                          scheduler_mode=cfg.scheduler)


def money(value: float, currency: str) -> str:
    return format_money(value, currency) if math.isfinite(value) else "—"


def money_cards(totals: tuple[CurrencyTotal, ...]) -> None:
    """Equity and today's P&L per currency, never converted; full width on a phone so long amounts fit."""
    if not totals:  # nothing long to fit: two cards a row on a phone
        empty = metric_slots(2)
        empty[0].metric("Total equity", "—", border=True, help="No paper deployments or holdings yet.")
        empty[1].metric("Today's P&L", "—", border=True)
        return
    several = len(totals) > 1
    cols = st.columns(2 * len(totals), gap="small")
    for i, t in enumerate(totals):
        suffix = f" · {t.currency}" if several else ""
        cols[2 * i].metric(f"Total equity{suffix}", money(t.equity, t.currency), border=True,
                           help=f"{t.books} book(s) in {t.currency}: running and paused paper deployments at their "
                                "last tick plus holdings at the latest stored close.")
        pct = t.day_pnl_pct
        cols[2 * i + 1].metric(f"Today's P&L{suffix}", money(t.day_pnl, t.currency),
                               None if math.isnan(pct) else f"{pct:+.2%}", border=True,
                               help="Each book's latest session against the one before (net of that day's trades); "
                                    "% of the value before the move.")


def count_cards(snap: Snapshot) -> None:
    """Open positions, unread alerts, tripped breakers and fresh symbols: two cards a row on a phone."""
    slots = metric_slots(4)
    slots[0].metric("Open positions", f"{len(snap.positions)}", border=True, help="Paper positions and holdings.")
    slots[1].metric("Unread alerts", f"{snap.unread_alerts}", border=True,
                    help="Alert events not acknowledged yet (acknowledge them on Alerts).")
    total = len(snap.breakers)
    slots[2].metric("Breakers tripped", f"{snap.tripped} / {total}" if total else "—",
                    "entries blocked" if snap.tripped else None, delta_color="inverse", delta_arrow="off",
                    border=True, help="Deployments whose circuit breaker tripped, of those that have one.")
    fresh = int((snap.data["status"] == "fresh").sum())
    slots[3].metric("Data fresh", f"{fresh} / {len(snap.data)}" if len(snap.data) else "—", border=True,
                    help="Watchlist symbols whose newest bar is the one the exchange calendar expects.")


def headline(snap: Snapshot) -> None:
    problems = snap.problems()
    if problems:
        st.warning("Needs a look: " + " · ".join(problems), icon="⚠️")
    else:
        st.success("All fine: no tripped breaker, no unread alert, market data fresh, no failed job.", icon="✅")
    if len(snap.totals) > 1:
        st.caption("Amounts stay in their own currency: each currency is totalled apart and nothing is converted.")
    for note in snap.notices:
        st.caption(f"ℹ️ {note}")


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    """Everything below the title, re-read every REFRESH_SECONDS without rerunning the whole page."""
    try:
        snap = snapshot_cached()
    except QuantdeskError as exc:
        st.error(f"The overview cannot be read: {exc}", icon="⚠️")
        return
    headline(snap)
    money_cards(snap.totals)
    count_cards(snap)
    st.subheader("Open positions")
    parts.positions(snap.positions)
    left, right = st.columns(2, gap="medium")
    with left:
        st.subheader("Latest alerts")
        parts.alerts(snap.alerts, snap.unread_alerts)
    with right:
        st.subheader("Circuit breakers")
        parts.breakers(snap.breakers)
    st.subheader("Data freshness")
    parts.freshness(snap.data, SPARK_BARS)
    st.subheader("Scheduler and jobs")
    parts.jobs(snap.scheduler, snap.jobs)
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    taken = pd.Timestamp(snap.taken_at).tz_convert(TZ)
    c1.caption(f"Last updated {taken:%d %b %Y %H:%M:%S} IST · refreshes every {REFRESH_SECONDS} s")
    c2.button("Refresh now", key=f"{P}_refresh", icon="🔄", on_click=snapshot_cached.clear,
              help="Read everything again now (a click reruns only this part of the page).")


live()
