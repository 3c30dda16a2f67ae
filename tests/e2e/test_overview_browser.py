"""Overview in a real browser on a 390 px phone: the home page, a warm load under 1.5 s, no overflow; /market deep link."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    PHONE,
    ROOT,
    _free_port,
    exception_text,
    open_page,
    overflow,
    server_env,
    shoot,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WARM_LOAD_S = 1.5
WARM_TRIES = 3  # the machine is shared: a warm load is re-measured up to this many times, the best one counts


@pytest.fixture(scope="module")
def open_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on loopback without a login (its default there), so "/" can be loaded twice as a user reopens it."""
    tmp = tmp_path_factory.mktemp("e2e_overview")
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    env = server_env(tmp) | {"QUANTDESK_AUTH_REQUIRED": "false"}
    with open(tmp / "server.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, tmp / "server.log")
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _wait_healthy(url: str, log: Path) -> None:
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"Streamlit did not start: {log.read_text()[-2000:]}")


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


def test_home_is_the_overview_and_loads_warm_in_time(browser, open_app_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        cold = timed_load(page, f"{open_app_url}/")
        warm_loads = [timed_load(page, f"{open_app_url}/")]  # the second load: static files and the snapshot cached
        while min(warm_loads) >= WARM_LOAD_S and len(warm_loads) < WARM_TRIES:
            warm_loads.append(timed_load(page, f"{open_app_url}/"))
        warm = min(warm_loads)
        shown = ", ".join(f"{t:.2f}" for t in warm_loads)
        print(f"overview load on a phone: cold {cold:.2f} s, warm {shown} s")  # noqa: T201 - shown with -s
        assert not exception_text(page), exception_text(page)
        assert page.locator("h1").first.inner_text() == "Overview"
        assert warm < WARM_LOAD_S, f"warm loads took {shown} s"
        wait_for_app(page)
        assert overflow(page) <= 1, f"page is {overflow(page)}px wider than the phone"
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
