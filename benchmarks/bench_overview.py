"""Benchmark: warm load of the Overview home page in headless Chromium (goal < 1.5 s), against a bare
"hello world" Streamlit page measured in the same run (the floor any Streamlit page pays).

Run: `.venv/bin/python benchmarks/bench_overview.py [--loads 5]`. Needs Debian chromium (`make test`
installs it). Uses demo data in a temporary database; nothing touches the network.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, running_app  # noqa: E402

GOAL_S = 1.5
HELLO = 'import streamlit as st\nst.title("Overview")\nst.metric("Total equity", "₹1,00,000")\nst.caption("Last updated")\n'


@contextmanager
def hello_app(folder: Path):  # noqa: ANN201 - yields the URL
    """A one-title Streamlit script served like the app (same launcher, app.py swapped for it)."""
    import tests.e2e.conftest as conftest

    saved = conftest.ROOT
    (folder / "app.py").write_text(HELLO)
    conftest.ROOT = folder
    try:
        with running_app(folder) as url:
            yield url
    finally:
        conftest.ROOT = saved


def timed_load(page, url: str) -> float:  # noqa: ANN001 - playwright Page
    """Seconds from navigation until a metric and the 'Last updated' line show and the run has finished."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.locator('[data-testid="stMetric"]').first.wait_for(state="visible", timeout=120_000)
    page.get_by_text("Last updated").first.wait_for(state="visible", timeout=120_000)
    while page.locator('[data-testid="stStatusWidget"]').count():
        page.wait_for_timeout(20)
    return time.perf_counter() - start


def measure(browser, url: str, loads: int) -> tuple[float, float]:  # noqa: ANN001
    """(cold, best warm) seconds of loading `url` on a phone-sized page."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        cold = timed_load(page, url)
        warm = min(timed_load(page, url) for _ in range(loads))
    finally:
        context.close()
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=5, help="warm loads per page (the best counts)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        app_dir, hello_dir = Path(tmp, "app"), Path(tmp, "hello")
        app_dir.mkdir()
        hello_dir.mkdir()
        with running_app(app_dir, QUANTDESK_AUTH_REQUIRED="false") as url:
            cold, warm = measure(browser, f"{url}/", args.loads)
        with hello_app(hello_dir) as url:
            _, floor = measure(browser, f"{url}/", args.loads)
        browser.close()
    print(f"== Overview home page on a 390 px phone, best of {args.loads} warm loads ==")
    print(f"  overview cold load           {cold:6.2f} s   (first start syncs the demo watchlist)")
    print(f"  overview warm load           {warm:6.2f} s   (goal < {GOAL_S} s: {'OK' if warm < GOAL_S else 'MISSED'})")
    print(f"  hello-world Streamlit page   {floor:6.2f} s")
    print(f"  ratio overview / hello world {warm / floor:6.2f}")


if __name__ == "__main__":
    main()
