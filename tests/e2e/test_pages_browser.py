"""Every page in a real browser, on desktop and on a 390 px phone: renders, no exception, no overflow."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SHOTS, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Backtest first: a deep link is the first request the fresh server sees. Market is home ("/").
PAGES = {"backtest": "backtest", "market": "", "strategy_lab": "strategy_lab", "paper": "paper", "risk": "risk",
         "data": "data"}
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
              "has_touch": True},
}


@pytest.mark.parametrize("device", list(VIEWPORTS))
@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(browser, app_url: str, page_name: str, device: str) -> None:  # noqa: ANN001
    context = browser.new_context(**VIEWPORTS[device])
    page = context.new_page()
    try:
        page.goto(f"{app_url}/{PAGES[page_name]}", wait_until="domcontentloaded")
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
        assert page.locator("h1").count() >= 1
        assert page.get_by_text("Page not found").count() == 0
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the {device} screen"
        if device == "desktop":  # the app shell's navigation, even on a deep link to a fresh server
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "Strategy Lab" in nav and "widgets" not in nav, nav
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{page_name}-{device}.png"))
    finally:
        context.close()
