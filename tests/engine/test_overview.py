"""Overview snapshot on a hand-built database: paper books and holdings per currency, alerts, breakers, data, jobs.

Week of 2026-11-23: NSE trades 23, 25, 26, 27 (24th: Guru Nanak Jayanti); NYSE 23, 24, 25, 27 (26th:
Thanksgiving; 27th closes early at 18:00 UTC). NOW is Friday 27th, 12:00 UTC: NSE closed at 10:00 UTC,
NYSE has not opened its short session yet.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from engine.overview import build_snapshot, currency_totals
from engine.portfolio import Transaction, build_report, record_transactions
from storage import alerts as alert_store
from storage import paper as paper_store
from storage import scheduler_runs as runs
from storage import sync_runs
from storage.candles import upsert_candles
from storage.db import transaction

NOW = pd.Timestamp("2026-11-27 12:00", tz="UTC")
TODAY = date(2026, 11, 27)
NSE_DAYS = ["2026-11-23", "2026-11-25", "2026-11-26", "2026-11-27"]
US_DAYS = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]
WATCHLIST = ("INFY.NS", "TCS.NS", "AAPL", "^NSEI", "SBIN.NS")


def _ts(day: str) -> int:
    return int(pd.Timestamp(day, tz="UTC").timestamp())


def _store(db, symbol: str, days: list[str], closes: list[float], source: str = "yfinance") -> None:  # noqa: ANN001
    index = pd.DatetimeIndex([pd.Timestamp(d, tz="UTC") for d in days], name="ts")
    bars = pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes, "adj_close": closes,
                         "volume": 1000.0}, index=index)
    with transaction(db) as s:
        upsert_candles(s, symbol, "1d", bars, source)


def _deployment(db, name: str, cash: float, *, status: str = "running", risk: dict | None = None) -> int:  # noqa: ANN001
    with transaction(db) as s:
        return paper_store.create_deployment(
            s, name=name, strategy="sma_cross", params={}, symbols=["INFY.NS"], interval="1d",
            config={"cash": cash}, risk=risk or {}, history_start=_ts("2025-11-27"), start_ts=_ts("2026-11-23"),
            cash=cash, status=status)


@pytest.fixture
def book(db_engine):  # noqa: ANN001, ANN201
    """INFY/TCS/AAPL bars, four deployments (one ticked, one tripped, one paused, one stopped), a TCS holding."""
    _store(db_engine, "INFY.NS", NSE_DAYS[:3], [100.0, 102.0, 105.0])  # no bar for the 27th yet: stale
    _store(db_engine, "TCS.NS", NSE_DAYS, [200.0, 220.0, 215.0, 230.0])
    _store(db_engine, "AAPL", US_DAYS, [150.0, 152.0, 155.0, 160.0])
    _store(db_engine, "^NSEI", NSE_DAYS, [24000.0, 24100.0, 24200.0, 24300.0], source="demo")
    with transaction(db_engine) as s:
        sync_runs.finish_run(s, sync_runs.start_run(s, "SBIN.NS", "1d", "yfinance"), "failed", error="HTTP 404")
    ticked = _deployment(db_engine, "sma INFY", 100_000.0)
    equity = [(NSE_DAYS[1], 100_500.0), (NSE_DAYS[2], 101_000.0), (NSE_DAYS[3], 100_400.0)]
    write = paper_store.TickWrite(
        state_json="", last_bar_ts=_ts(NSE_DAYS[3]), cash=99_350.0, equity=100_400.0, had_open=False,
        positions=[{"symbol": "INFY.NS", "qty": 10.0, "avg_price": 100.0, "entry_ts": _ts(NSE_DAYS[1]),
                    "entry_cost": 0.0, "last_price": 105.0, "unrealised_pnl": 50.0}],
        equity_rows=[{"ts": _ts(d), "cash": 99_350.0, "equity": e} for d, e in equity])
    tripped = _deployment(db_engine, "breakout", 50_000.0, risk={"breaker": {"daily_loss_pct": 2.0}})
    paused = _deployment(db_engine, "rsi", 20_000.0, status="paused", risk={"breaker": {"daily_loss_pct": 3.0}})
    _deployment(db_engine, "old", 7_777.0, status="stopped")
    with transaction(db_engine) as s:
        paper_store.commit_tick(s, ticked, 0, write)
        breaker = {"status": "TRIPPED", "reason": "daily loss 2.5% >= 2%", "tripped_at": "2026-11-27T10:00:00+00:00"}
        paper_store.save_state(s, tripped, 0, json.dumps({"breaker": breaker}))
    record_transactions(db_engine, [Transaction(date(2026, 11, 23), "TCS.NS", "buy", 5, 200.0)], today=TODAY)
    return {"ticked": ticked, "tripped": tripped, "paused": paused}


def _snapshot(db):  # noqa: ANN001, ANN202
    return build_snapshot(db, watchlist=WATCHLIST, interval="1d", scheduler_mode="thread", now=NOW)


def test_equity_and_day_pnl_per_currency(db_engine, book) -> None:  # noqa: ANN001
    snap = _snapshot(db_engine)
    books = snap.books.set_index("name")
    assert sorted(books.index) == ["#1 sma INFY", "#2 breakout", "#3 rsi", "Main"]  # #4 is stopped: archived
    assert books.loc["#1 sma INFY", "day_pnl"] == pytest.approx(100_400 - 101_000)  # 27th vs 26th
    assert books.loc["#2 breakout", "day_pnl"] == 0.0  # never ticked
    holding = books[books["kind"] == "holdings"].iloc[0]
    assert (holding["equity"], holding["day_pnl"]) == (pytest.approx(5 * 230.0), pytest.approx(5 * (230 - 215)))
    (inr,) = snap.totals
    assert inr.currency == "INR" and inr.books == 4
    assert inr.equity == pytest.approx(100_400 + 50_000 + 20_000 + 1_150)  # 1,71,550
    assert inr.day_pnl == pytest.approx(-600 + 75)
    assert inr.day_pnl_pct == pytest.approx(-525 / (171_550 + 525))  # of the value before the move


def test_holdings_day_change_matches_the_portfolio_report(db_engine, book) -> None:  # noqa: ANN001
    report = build_report(db_engine)
    holding = _snapshot(db_engine).books.query("kind == 'holdings'").iloc[0]
    assert holding["day_pnl"] == pytest.approx(report.totals["day_change"])
    assert holding["equity"] == pytest.approx(report.totals["value"])


def test_mixed_currencies_are_totalled_apart_never_converted(db_engine, book) -> None:  # noqa: ANN001
    record_transactions(db_engine, [Transaction(date(2026, 11, 23), "AAPL", "buy", 2, 150.0)], today=TODAY)
    snap = _snapshot(db_engine)
    inr, usd = snap.totals
    assert (inr.currency, usd.currency) == ("INR", "USD")
    assert inr.equity == pytest.approx(171_550) and inr.day_pnl == pytest.approx(-525)  # unchanged by AAPL
    assert usd.equity == pytest.approx(2 * 160) and usd.day_pnl == pytest.approx(2 * (160 - 155))  # 27th vs 25th
    assert usd.day_pnl_pct == pytest.approx(10 / 310)
    aapl = snap.positions.set_index("symbol").loc["AAPL"]
    assert aapl["currency"] == "USD" and aapl["pnl"] == pytest.approx(20.0)


def test_open_positions_from_paper_and_holdings(db_engine, book) -> None:  # noqa: ANN001
    pos = _snapshot(db_engine).positions.set_index("symbol")
    assert list(pos.index) == ["INFY.NS", "TCS.NS"]
    infy, tcs = pos.loc["INFY.NS"], pos.loc["TCS.NS"]
    assert (infy["book"], infy["qty"], infy["last_price"], infy["pnl"]) == ("paper #1", 10.0, 105.0, 50.0)
    assert infy["pnl_pct"] == pytest.approx(50 / 1000)
    assert (tcs["book"], tcs["qty"], tcs["avg_price"], tcs["last_price"]) == ("Main", 5.0, 200.0, 230.0)
    assert tcs["pnl"] == pytest.approx(150.0) and tcs["pnl_pct"] == pytest.approx(0.15)


def test_unacknowledged_alerts_and_latest_events(db_engine, book) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        a = alert_store.create_rule(s, name="INFY above 104", kind="price_above", symbol="INFY.NS", params={})
        b = alert_store.create_rule(s, name="TCS above 225", kind="price_above", symbol="TCS.NS", params={})
        for i, (rule, day) in enumerate([(a, NSE_DAYS[1]), (a, NSE_DAYS[2]), (b, NSE_DAYS[3])]):
            alert_store.record_fire(s, rule, fired_at=(NOW - timedelta(hours=3 - i)).to_pydatetime(),
                                    bar_time=pd.Timestamp(day, tz="UTC").to_pydatetime(), value=1.0, message=f"m{i}")
    assert _snapshot(db_engine).unread_alerts == 3
    with transaction(db_engine) as s:
        alert_store.acknowledge(s, a)
    snap = _snapshot(db_engine)
    assert snap.unread_alerts == 1
    assert list(snap.alerts["message"]) == ["m2", "m1", "m0"]  # newest first
    assert "1 unacknowledged alert(s)" in snap.problems()


def test_tripped_breakers_come_first(db_engine, book) -> None:  # noqa: ANN001
    snap = _snapshot(db_engine)
    assert list(snap.breakers["deployment_id"]) == [book["tripped"], book["paused"]]
    assert list(snap.breakers["status"]) == ["TRIPPED", "OK"]
    assert snap.tripped == 1 and "1 circuit breaker(s) tripped" in snap.problems()
    assert {"1 symbol(s) failed", "1 symbol(s) stale", "1 symbol(s) on demo data"} <= set(snap.problems())


def test_data_freshness_of_the_watchlist(db_engine, book) -> None:  # noqa: ANN001
    data = _snapshot(db_engine).data.set_index("symbol")
    assert list(data.index) == ["SBIN.NS", "INFY.NS", "^NSEI", "AAPL", "TCS.NS"]  # failed, stale, demo, fresh
    assert dict(data["status"]) == {"SBIN.NS": "failed", "INFY.NS": "stale", "^NSEI": "demo", "AAPL": "fresh",
                                    "TCS.NS": "fresh"}
    assert data.at["SBIN.NS", "error"] == "HTTP 404" and data.at["SBIN.NS", "closes"] == []
    assert data.at["TCS.NS", "age"] == pd.Timedelta(hours=2)  # NSE closed at 10:00 UTC
    assert data.at["INFY.NS", "age"] == pd.Timedelta(days=1, hours=2)
    assert data.at["TCS.NS", "closes"] == [200.0, 220.0, 215.0, 230.0]
    assert data.at["AAPL", "last_bar"] == pd.Timestamp("2026-11-27", tz="UTC")  # session under way: age 0
    assert data.at["AAPL", "age"] == pd.Timedelta(0)


def test_scheduler_lease_and_job_runs(db_engine, book) -> None:  # noqa: ANN001
    snap = _snapshot(db_engine)
    assert not snap.scheduler.is_running and set(snap.jobs["status"]) == {"never run"}
    assert "no scheduler is running jobs" in snap.problems()
    runs.acquire_lease(db_engine, "scheduler", "host:1:abc", 60, now=(NOW - timedelta(seconds=10)).to_pydatetime())
    with transaction(db_engine) as s:
        runs.finish_job_run(s, runs.start_job_run(s, "alert_check", "host:1:abc"), "failed", "boom")
        runs.finish_job_run(s, runs.start_job_run(s, "alert_check", "host:1:abc"), "ok", "checked 2 rules")
        runs.finish_job_run(s, runs.start_job_run(s, "sync", "host:1:abc"), "failed", "2 of 5 symbols failed")
    snap = _snapshot(db_engine)
    assert snap.scheduler.holder == "host:1:abc" and snap.scheduler.heartbeat_age_s == pytest.approx(10.0)
    jobs = snap.jobs.set_index("job")
    assert list(jobs.index) == ["sync", "paper_tick", "alert_check", "news"]
    assert (jobs.at["alert_check", "status"], jobs.at["alert_check", "note"]) == ("ok", "checked 2 rules")
    assert jobs.at["alert_check", "last_error"] == "boom"  # an earlier failure stays visible
    assert jobs.at["sync", "status"] == "failed" and jobs.at["paper_tick", "status"] == "never run"
    assert "job sync failed" in snap.problems() and "no scheduler is running jobs" not in snap.problems()


def test_empty_database_is_a_clean_snapshot(db_engine) -> None:  # noqa: ANN001
    snap = build_snapshot(db_engine, watchlist=(), scheduler_mode="off", now=NOW)
    assert snap.totals == () and snap.positions.empty and snap.books.empty
    assert snap.alerts.empty and snap.breakers.empty and snap.data.empty and snap.unread_alerts == 0
    assert snap.problems() == []  # the scheduler is off on purpose: not a problem
    assert currency_totals(snap.books) == ()
