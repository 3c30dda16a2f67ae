"""The main journeys in a real browser: log in, one-click backtest, deploy to paper and replay, an alert that fires."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.paper.deployments import DeploymentSpec, create_deployment
from engine.paper.runner import replay
from storage.db import make_engine
from tests.e2e.conftest import (
    DESKTOP,
    LOGIN_BUTTON,
    PASSWORD,
    USER,
    exception_text,
    go_to,
    is_login_form,
    log_in,
    open_page,
    shoot,
    unreadable_metrics,
    url_path,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPLAY_SYMBOL = "INFY.NS"
REPLAY_DAYS = 120


@pytest.fixture(scope="module")
def desk(browser, app_url: str):  # noqa: ANN001, ANN201 - one logged-in desktop session for the journeys
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    open_page(page, app_url, "")
    yield page
    context.close()


def test_login_gate_shows_nothing_before_login(browser, app_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/paper", wait_until="domcontentloaded")
        page.get_by_role("textbox", name="Password").wait_for(timeout=90_000)
        body = page.inner_text('[data-testid="stMain"]')
        for leak in ("Paper Trading", "Equity", "demo data", "Deployment"):
            assert leak not in body, f"{leak!r} shows before login"
        assert page.get_by_role("link", name="Backtest").count() == 0
        log_in(page, USER, "not-the-password")
        assert is_login_form(page) and page.locator('[data-testid="stAlertContentError"]').count() == 1
        log_in(page, USER, PASSWORD)
        wait_for_app(page)
        assert not exception_text(page), exception_text(page)
        assert url_path(page.url) == "paper" and page.locator("h1").first.inner_text() == "Paper Trading"
        page.get_by_role("button", name=f"Log out · {USER}").click()
        page.locator(LOGIN_BUTTON).wait_for(timeout=30_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    finally:
        context.close()


def test_one_click_backtest_then_deploy_to_paper(desk, app_url: str) -> None:  # noqa: ANN001
    page = desk
    go_to(page, "backtest")
    page.get_by_role("button", name="Run backtest").click()
    page.get_by_text("Equity vs buy & hold").wait_for(timeout=120_000)
    wait_for_app(page)
    assert not exception_text(page), exception_text(page)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert any("Sharpe" in label for label in labels) and any("drawdown" in label.lower() for label in labels), labels
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert len(values) >= 6 and all(v.strip() and v.strip() != "nan" for v in values), values
    assert not unreadable_metrics(page), unreadable_metrics(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # equity with the drawdown beneath
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 3  # + candles, monthly heatmap
    page.get_by_role("tab", name="Statistics").click()
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    shoot(page, "flow-backtest-desktop")

    page.get_by_role("button", name="Deploy to paper").click()
    page.get_by_text("Paper deployment #").wait_for(timeout=60_000)
    dep_id = page.get_by_text("Paper deployment #").inner_text().split("#")[1].split()[0]
    page.get_by_role("link", name="Open Paper Trading").click()
    page.get_by_role("heading", name="Paper Trading").wait_for(timeout=60_000)
    wait_for_app(page)
    assert not exception_text(page), exception_text(page)
    assert page.get_by_role("combobox", name="Deployment").input_value().startswith(f"#{dep_id} · sma_cross")
    assert page.get_by_text("Status running · last bar —").count() == 1  # it trades from the next closed bar


def test_paper_replay_updates_the_page(desk, app_url: str, e2e_dir: Path) -> None:  # noqa: ANN001
    page = desk
    db = make_engine(f"sqlite:///{e2e_dir / 'e2e.db'}")  # the app's database, driven from here as a job would
    today = pd.Timestamp.now(tz="UTC").normalize()
    start = today - pd.Timedelta(days=REPLAY_DAYS)
    spec = DeploymentSpec("sma_cross", [REPLAY_SYMBOL], {"fast": 5, "slow": 20}, "1d", {"cash": 100_000.0},
                          name="e2e replay", start=start)
    dep_id = create_deployment(db, spec)
    go_to(page, "market")  # a fresh run of Paper Trading lists the deployment made outside the browser
    go_to(page, "paper")
    page.get_by_role("combobox", name="Deployment").click()
    page.get_by_role("option", name=f"#{dep_id} · e2e replay").click()
    wait_for_app(page)
    assert page.get_by_text("Status running · last bar —").count() == 1  # nothing ticked yet

    outcome = replay(db, dep_id, start, today)
    assert outcome["ticks"] > 50 and outcome["orders"] >= 1 and outcome["failed"] == 0, outcome
    # the live view refreshes itself every 15 s: no click, no reload
    page.get_by_text("last bar 20").wait_for(timeout=40_000)
    wait_for_app(page)
    assert not exception_text(page), exception_text(page)
    change = page.locator('[data-testid="stMetric"]').filter(has_text="Equity").locator(
        '[data-testid="stMetricDelta"]').inner_text()
    assert change.strip() not in ("+₹0", "₹0"), "the replayed fills should have moved the equity"
    assert not unreadable_metrics(page), unreadable_metrics(page)
    page.get_by_role("tab", name="Fills").click()
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1  # the deployment's equity curve
    shoot(page, "flow-paper-desktop")


def test_alert_fires_into_the_notification_centre(desk, app_url: str) -> None:  # noqa: ANN001
    page = desk
    go_to(page, "alerts")
    page.get_by_role("spinbutton", name="Level").fill("1")
    page.get_by_role("spinbutton", name="Level").press("Enter")
    page.get_by_role("textbox", name="Name (optional)").fill("e2e close above 1")
    page.get_by_role("textbox", name="Name (optional)").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Add rule").click()
    page.get_by_role("combobox", name="Rule").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_role("combobox", name="Rule").input_value() == "#1 · e2e close above 1"
    page.get_by_role("button", name="Check now").click()
    page.get_by_text("1 alert(s) fired").wait_for(timeout=60_000)
    wait_for_app(page)
    assert not exception_text(page), exception_text(page)
    bell = page.locator('[data-testid="stSidebar"] [data-testid="stPopoverButton"]').filter(has_text="unread")
    bell.filter(has_text="1 unread").wait_for(timeout=30_000)
    bell.click()
    popover = page.locator('[data-testid="stPopoverBody"]')
    popover.get_by_text("e2e close above 1").first.wait_for(timeout=15_000)
    shoot(page, "flow-alert-desktop")
