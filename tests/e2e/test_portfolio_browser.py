"""Portfolio page in a real browser: empty state, a tradebook upload, then holdings and tabs on a 390 px phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import SHOTS, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TRADEBOOK = """symbol,isin,trade_date,exchange,segment,series,trade_type,auction,quantity,price,trade_id,order_id,order_execution_time
RELIANCE,INE002A01018,2024-01-05,NSE,EQ,EQ,buy,false,10,2510.50,55501234,1100000012345678,2024-01-05T09:20:11
TCS,INE467B01029,2024-02-01,NSE,EQ,EQ,buy,false,2,3800,77001,1200000000000001,2024-02-01T10:01:00
RELIANCE,INE002A01018,2024-03-01,NSE,EQ,EQ,sell,false,4,2900,55509999,1100000099999999,2024-03-01T14:59:59
"""
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _overflow(page) -> int:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_upload_then_view_on_a_phone(browser, app_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "tradebook.csv"
    path.write_text(TRADEBOOK)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/portfolio", wait_until="domcontentloaded")
        wait_for_app(page)
        assert page.get_by_text("No transactions yet").count() >= 1, page.inner_text("body")[:2000]
        page.get_by_role("tab", name="Import").click()
        page.locator('input[type="file"]').set_input_files(str(path))
        page.get_by_role("button", name="Import 3 trade(s)").wait_for(timeout=90_000)
        page.get_by_role("button", name="Import 3 trade(s)").click()
        page.get_by_text("Imported 3 new trade(s)").wait_for(timeout=90_000)
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
        assert page.get_by_text("XIRR").count() >= 1
    finally:
        context.close()

    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/portfolio", wait_until="domcontentloaded")
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "portfolio-phone.png"))
        for tab in ("Holdings", "Allocation", "Tear sheet"):
            page.get_by_role("tab", name=tab).click()
            wait_for_app(page)
            assert _overflow(page) <= 1, f"{tab}: page is {_overflow(page)}px wider than the phone"
            page.screenshot(path=str(SHOTS / f"portfolio-{tab.lower().replace(' ', '_')}-phone.png"))
    finally:
        context.close()
