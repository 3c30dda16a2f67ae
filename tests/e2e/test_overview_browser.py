"""Overview in a real browser on a 390 px phone: the home page, a warm load under 1.5 s, no overflow; /market deep link."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import SHOTS, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WARM_LOAD_S = 1.5
WARM_TRIES = 3  # the machine is shared: a warm load is re-measured up to this many times, the best one counts


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


def overflow(page) -> int:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_home_is_the_overview_and_loads_warm_in_time(browser, app_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        cold = timed_load(page, f"{app_url}/")
        warm_loads = [timed_load(page, f"{app_url}/")]  # the second load: static files and the snapshot cached
        while min(warm_loads) >= WARM_LOAD_S and len(warm_loads) < WARM_TRIES:
            warm_loads.append(timed_load(page, f"{app_url}/"))
        warm = min(warm_loads)
        shown = ", ".join(f"{t:.2f}" for t in warm_loads)
        print(f"overview load on a phone: cold {cold:.2f} s, warm {shown} s")  # noqa: T201 - shown with -s
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
        assert page.locator("h1").first.inner_text() == "Overview"
        assert warm < WARM_LOAD_S, f"warm loads took {shown} s"
        wait_for_app(page)
        assert overflow(page) <= 1, f"page is {overflow(page)}px wider than the phone"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "overview-phone.png"))
        for heading in ("Circuit breakers", "Data freshness", "Scheduler and jobs"):
            page.get_by_role("heading", name=heading).scroll_into_view_if_needed()
            assert overflow(page) <= 1, f"{heading}: page is {overflow(page)}px wider than the phone"
            page.screenshot(path=str(SHOTS / f"overview-{heading.split()[0].lower()}-phone.png"))
    finally:
        context.close()


def test_market_deep_link_opens_market(browser, app_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/market", wait_until="domcontentloaded")
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
        assert page.locator("h1").first.inner_text() == "Market"
        assert "Overview" in page.locator('[data-testid="stSidebarNav"]').inner_text()
    finally:
        context.close()
