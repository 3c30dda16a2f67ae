"""Overview page through AppTest: the home page of the app, empty states, a paper book and a holding, a breaker."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from streamlit.testing.v1 import AppTest

from engine.money import format_money
from engine.paper.deployments import DeploymentSpec, create_deployment
from engine.paper.runner import tick_deployment
from engine.portfolio import Transaction, build_report, record_transactions
from storage import paper as paper_store
from storage.db import transaction
from tests.pages.page_helpers import NOW, ROOT, demo_env, empty_db, errors, seeded  # noqa: F401


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table with `column` (AppTest does not expose a dataframe's key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def home() -> AppTest:
    """The whole app (its navigation resolves the page links), opened at "/"."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run(timeout=90)
    return at


def links(at: AppTest) -> set[str]:
    return {p.proto.page for p in at.get("page_link")}


def test_app_opens_on_the_overview(seeded) -> None:  # noqa: ANN001, F811
    at = home()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert {"Total equity", "Today's P&L", "Open positions", "Unread alerts", "Breakers tripped",
            "Data fresh"} <= set(metrics(at))


def test_empty_database_shows_what_to_do_next(empty_db) -> None:  # noqa: ANN001, F811
    at = home()
    assert not at.exception and not errors(at)
    m = metrics(at)
    assert (m["Total equity"], m["Open positions"], m["Unread alerts"], m["Data fresh"]) == ("—", "0", "0", "—")
    infos = " ".join(i.value for i in at.info)
    assert "No open positions" in infos and "No alert has fired yet" in infos
    assert "No deployment has a circuit breaker" in infos and "The scheduler is off" in infos
    assert {"paper", "portfolio", "alerts", "data", "settings"} <= links(at), links(at)
    assert not at.dataframe


def test_paper_book_holding_and_tripped_breaker(seeded, db_engine) -> None:  # noqa: ANN001, F811
    start = NOW - pd.Timedelta(days=120)
    spec = DeploymentSpec("sma_cross", ["RELIANCE.NS"], {"fast": 5, "slow": 20}, config={"cash": 100_000.0},
                          risk={"breaker": {"daily_loss_pct": 2.0}}, start=start)
    dep_id = create_deployment(db_engine, spec)
    assert tick_deployment(db_engine, dep_id, now=NOW)["status"] == "ok"
    with transaction(db_engine) as s:
        dep = paper_store.get_deployment(s, dep_id)
        saved = json.loads(dep["state_json"] or "{}") | {
            "breaker": {"status": "TRIPPED", "reason": "daily loss 2.4% >= 2%", "tripped_at": "2024-06-27T10:00:00Z"}}
        paper_store.save_state(s, dep_id, dep["version"], json.dumps(saved))
    record_transactions(db_engine, [Transaction(date(2024, 6, 3), "TCS.NS", "buy", 4, 3000.0)],
                        today=date(2024, 6, 28))
    at = home()
    assert not at.exception
    assert errors(at) == [r"**TRIPPED** · sma\_cross RELIANCE.NS since 27 Jun 15:30 IST — daily loss 2.4% >= 2%. "
                          "New entries are blocked."]  # the breaker in red (its name kept literal); nothing else
    dep = paper_store.list_deployments(db_engine).iloc[0]
    holdings = build_report(db_engine).totals["value"]
    m = metrics(at)
    assert m["Total equity"] == format_money(float(dep["equity"]) + holdings, "INR")
    assert m["Breakers tripped"] == "1 / 1"
    assert "Main" in set(table(at, "Book")["Book"])
    assert table(at, "Symbol")["P&L"].str.contains("₹").all()
    assert any("circuit breaker(s) tripped" in w.value for w in at.warning)
    data = table(at, "Trend")
    assert set(data["Symbol"]) == {"RELIANCE.NS", "TCS.NS"}
    assert all(len(c) == 60 for c in data["Trend"])


def test_refresh_button_reads_the_database_again(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = home()
    assert metrics(at)["Total equity"] == "—"
    assert any(c.value.startswith("Last updated") for c in at.caption)
    create_deployment(db_engine, DeploymentSpec("sma_cross", ["TCS.NS"], config={"cash": 250_000.0}))
    at.run()
    assert metrics(at)["Total equity"] == "—"  # the snapshot is cached between refreshes
    at.button(key="overview_refresh").click().run()
    assert not at.exception
    assert metrics(at)["Total equity"] == "₹2,50,000.00"


def test_latest_alerts_and_job_runs_as_short_lines(seeded, db_engine) -> None:  # noqa: ANN001, F811
    from datetime import UTC, datetime

    from storage import alerts as alert_store
    from storage import scheduler_runs as runs

    with transaction(db_engine) as s:
        rule = alert_store.create_rule(s, name="TCS above 4,000", kind="price_above", symbol="TCS.NS", params={})
        alert_store.record_fire(s, rule, fired_at=datetime(2024, 6, 28, 5, 0, tzinfo=UTC), bar_time=None,
                                value=4012.5, message="TCS.NS closed at $4,012.50 *above* 4,000")
        runs.finish_job_run(s, runs.start_job_run(s, "sync", "host:1:abc"), "failed", "2 of 8 symbols failed")
    at = home()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert r"🔔 **new** · 28 Jun 10:30 · TCS above 4,000 — TCS.NS closed at \$4,012.50 \*above\* 4,000" in text
    assert "🔴 **sync** failed" in text and "— 2 of 8 symbols failed" in text
    assert "⚪ **news** never run" in text
    assert metrics(at)["Unread alerts"] == "1"
    assert "alerts" in links(at) and "settings" in links(at)  # acknowledge on Alerts; no scheduler holds the lease
