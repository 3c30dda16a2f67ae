"""Optimizer page in a real browser, desktop and 390 px phone: Optimise renders every section without overflow."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SHOTS, wait_for_app
from tests.e2e.test_pages_browser import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _overflow(page) -> int:  # noqa: ANN001 - playwright Page
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_optimise_on_every_screen(browser, app_url: str, device: str) -> None:  # noqa: ANN001
    context = browser.new_context(**VIEWPORTS[device])
    page = context.new_page()
    try:
        page.goto(f"{app_url}/optimizer", wait_until="domcontentloaded")
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
        page.get_by_role("button", name="Optimise").click()
        page.wait_for_selector("text=Allocation in whole lots", timeout=180_000)
        wait_for_app(page, timeout_ms=180_000)
        body = page.inner_text("body")
        assert page.locator('[data-testid="stException"]').count() == 0, body[:2000]
        for text in ("Expected return", "Efficient frontier", "Leftover cash", "Monthly-rebalanced backtest"):
            assert text in body, f"{text!r} missing on {device}"
        assert page.locator(".js-plotly-plot").count() >= 3
        assert _overflow(page) <= 1, f"page is {_overflow(page)}px wider than the {device} screen"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"optimizer-{device}.png"))
        anchors = ("Assets held", "Allocation in whole lots", "Monthly-rebalanced backtest vs equal weight")
        for i, anchor in enumerate(anchors):
            page.get_by_text(anchor, exact=True).first.scroll_into_view_if_needed()
            page.wait_for_timeout(400)
            page.screenshot(path=str(SHOTS / f"optimizer-{device}-{i + 1}.png"))
    finally:
        context.close()
