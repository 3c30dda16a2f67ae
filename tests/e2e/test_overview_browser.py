"""Overview in a real browser on a 390 px phone: the home page, no overflow, readable cards; /market deep link.

The warm-load time is printed here and measured against a bare Streamlit page in
`benchmarks/bench_overview.py` (speed lives in benchmarks, never in timed tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import (
    PHONE,
    exception_text,
    open_page,
    overflow,
    running_app,
    shoot,
    unreadable_metrics,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]



@pytest.fixture(scope="module")
def open_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on loopback without a login (its default there), so "/" can be loaded twice as a user reopens it."""
    with running_app(tmp_path_factory.mktemp("e2e_overview"), QUANTDESK_AUTH_REQUIRED="false") as url:
        yield url


def timed_load(page, url: str, timeout_ms: int = 120_000) -> float:  # noqa: ANN001 - playwright Page
    """Seconds from navigation until the metrics and the 'Last updated' line show and the run has finished."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.locator('[data-testid="stMetric"]').first.wait_for(state="visible", timeout=timeout_ms)
    page.get_by_text("Last updated").wait_for(state="visible", timeout=timeout_ms)  # the page's last element
    deadline = start + timeout_ms / 1000
    while page.locator('[data-testid="stStatusWidget"]').count() and time.perf_counter() < deadline:
        page.wait_for_timeout(20)
    return time.perf_counter() - start


def test_home_is_the_overview_and_fits_a_phone(browser, open_app_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        cold = timed_load(page, f"{open_app_url}/")
        warm = timed_load(page, f"{open_app_url}/")  # the second load: static files and the snapshot cached
        print(f"overview load on a phone: cold {cold:.2f} s, warm {warm:.2f} s")  # noqa: T201 - shown with -s
        assert not exception_text(page), exception_text(page)
        assert page.locator("h1").first.inner_text() == "Overview"
        wait_for_app(page)
        assert overflow(page) <= 1, f"page is {overflow(page)}px wider than the phone"
        assert not unreadable_metrics(page), unreadable_metrics(page)  # no card value cut short on a phone
        shoot(page, "overview-phone")
        for heading in ("Circuit breakers", "Data freshness", "Scheduler and jobs"):
            page.get_by_role("heading", name=heading).scroll_into_view_if_needed()
            assert overflow(page) <= 1, f"{heading}: page is {overflow(page)}px wider than the phone"
            shoot(page, f"overview-{heading.split()[0].lower()}-phone")
    finally:
        context.close()


def test_market_deep_link_opens_market_after_login(browser, app_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        open_page(page, app_url, "market")
        assert not exception_text(page), exception_text(page)
        assert page.locator("h1").first.inner_text() == "Market"
        assert "Overview" in page.locator('[data-testid="stSidebarNav"]').inner_text()
    finally:
        context.close()
