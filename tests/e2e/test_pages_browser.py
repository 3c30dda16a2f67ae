"""Every page in a real browser, on desktop and on a 390 px phone: renders, no exception, no overflow, numbers readable."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    exception_text,
    go_to,
    open_page,
    overflow,
    shoot,
    sidebar_collapsed,
    unreadable_metrics,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# name → (url path, title). Backtest first: a deep link is the first request the fresh server sees; the
# other pages are opened from the sidebar in the same logged-in session, as a user does.
PAGES = {"backtest": ("backtest", "Backtest"), "overview": ("", "Overview"), "market": ("market", "Market"),
         "paper": ("paper", "Paper Trading"), "portfolio": ("portfolio", "Portfolio"), "alerts": ("alerts", "Alerts"),
         "strategy_lab": ("strategy_lab", "Strategy Lab"), "optimizer": ("optimizer", "Optimizer"),
         "options": ("options", "Options"), "sentiment": ("sentiment", "Sentiment"), "risk": ("risk", "Risk"),
         "charges": ("charges", "Charges"), "data": ("data", "Data"), "settings": ("settings", "Settings")}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
@pytest.fixture(scope="module")
def session(browser, app_url: str) -> Iterator[Callable[[str], object]]:  # noqa: ANN001
    """A logged-in tab per device, opened on first use by a deep link to the first page."""
    contexts, pages = [], {}

    def tab(device: str) -> object:
        if device not in pages:
            contexts.append(browser.new_context(**VIEWPORTS[device]))
            pages[device] = contexts[-1].new_page()
            open_page(pages[device], app_url, next(iter(PAGES.values()))[0])
            if device == "phone":
                assert sidebar_collapsed(pages[device]), "the sidebar should start collapsed on a phone"
        return pages[device]

    yield tab
    for context in contexts:
        context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(session, page_name: str, device: str) -> None:  # noqa: ANN001
    page = session(device)
    path, title = PAGES[page_name]
    go_to(page, path)
    shoot(page, f"{page_name}-{device}")
    assert not exception_text(page), exception_text(page)
    assert title in page.locator("h1").first.inner_text()
    assert page.get_by_text("Page not found").count() == 0
    assert overflow(page) <= 1, f"page is {overflow(page)}px wider than the {device} screen"
    assert not unreadable_metrics(page), f"metric values not readable on {device}: {unreadable_metrics(page)}"
    if device == "desktop":  # the app shell's navigation, even after a deep link to a fresh server
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Strategy Lab" in nav and "widgets" not in nav, nav
    else:
        assert sidebar_collapsed(page), "a phone shows the page, not the sidebar, once a page is picked"
