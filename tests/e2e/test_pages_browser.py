"""Every page in a real browser, on desktop and on a 390 px phone: renders, no exception, no overflow, numbers readable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, exception_text, open_page, overflow, shoot, sidebar_collapsed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Backtest first: a deep link is the first request the fresh server sees. Overview is home ("/").
PAGES = {"backtest": "backtest", "overview": "", "market": "market", "paper": "paper", "portfolio": "portfolio",
         "alerts": "alerts", "strategy_lab": "strategy_lab", "optimizer": "optimizer", "options": "options",
         "sentiment": "sentiment", "risk": "risk", "charges": "charges", "data": "data", "settings": "settings"}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
# Each visible metric value: its box inside the screen and its text not cut short by an ellipsis.
METRIC_BOXES = """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .filter(e => e.offsetParent !== null)
    .map(e => ({text: e.innerText, left: e.getBoundingClientRect().left, right: e.getBoundingClientRect().right,
                clipped: [e, ...e.querySelectorAll('*')].some(x => x.scrollWidth > x.clientWidth + 1)}))"""


def unreadable_metrics(page) -> list[str]:  # noqa: ANN001 - playwright Page
    width = page.viewport_size["width"]
    return [f"{m['text']!r} ({'cut short' if m['clipped'] else 'off screen'})" for m in page.evaluate(METRIC_BOXES)
            if m["clipped"] or m["left"] < -1 or m["right"] > width + 1]


@pytest.fixture(scope="module")
def contexts(browser) -> Iterator[dict[str, object]]:  # noqa: ANN001
    """One browser context per device, its cache shared by the tabs; every tab is a new Streamlit session."""
    made = {device: browser.new_context(**options) for device, options in VIEWPORTS.items()}
    yield made
    for context in made.values():
        context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(contexts, app_url: str, page_name: str, device: str) -> None:  # noqa: ANN001
    page = contexts[device].new_page()
    try:
        open_page(page, app_url, PAGES[page_name])  # a new session: the login form first, then the page
        shoot(page, f"{page_name}-{device}")
        assert not exception_text(page), exception_text(page)
        assert page.locator("h1").count() >= 1
        assert page.get_by_text("Page not found").count() == 0
        assert overflow(page) <= 1, f"page is {overflow(page)}px wider than the {device} screen"
        assert not unreadable_metrics(page), f"metric values not readable on {device}: {unreadable_metrics(page)}"
        if device == "desktop":  # the app shell's navigation, even on a deep link to a fresh server
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "Strategy Lab" in nav and "widgets" not in nav, nav
        else:
            assert sidebar_collapsed(page), "the sidebar should start collapsed on a phone"
    finally:
        page.close()
