"""README screenshots: the app on demo data (replayed paper deployments, a fired alert) as small PNGs.

Run: `.venv/bin/python -m tests.e2e.make_screenshots [--out docs/screenshots]` (Debian chromium, ~1 minute).
Each PNG is 1200 px wide (desktop) or 390 px (phone) in CSS pixels and at most 120 KB: a screenshot that is
larger is stored with an adaptive palette of 256 colours or fewer.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from PIL import Image

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    ROOT,
    cli,
    go_to,
    open_page,
    running_app,
    unreadable_metrics,
    wait_for_app,
)

MAX_BYTES = 120_000
DESKTOP_SHOT = {"viewport": {"width": 1200, "height": 760}, "device_scale_factor": 1}
WATCHLIST = "RELIANCE.NS,TCS.NS,INFY.NS,HDFCBANK.NS,ICICIBANK.NS,^NSEI"  # rupee amounts throughout
DEPLOYMENTS = (("INFY.NS", "sma_cross", ("fast=5", "slow=20")), ("RELIANCE.NS", "ema_cross", ("fast=8", "slow=21")),
               ("TCS.NS", "donchian_breakout", ("period=20", "exit_period=10")))
REPLAY_DAYS = 150


def seed(folder: Path, env: dict[str, str]) -> None:
    """Paper deployments replayed over the last months and an alert that fired, so the monitors have content."""
    today = pd.Timestamp.now(tz="UTC").normalize()
    start = (today - pd.Timedelta(days=REPLAY_DAYS)).date().isoformat()
    for symbol, strategy, params in DEPLOYMENTS:
        dep = cli(folder, "paper", "deploy", "--strategy", strategy, "--symbols", symbol,
                  *[arg for p in params for arg in ("--param", p)], "--start", start, **env)
        cli(folder, "paper", "replay", "--id", str(dep["id"]), "--start", start, "--end", today.date().isoformat(),
            **env)
    cli(folder, "alerts", "add", "--kind", "price_above", "--symbol", "HDFCBANK.NS", "--param", "level=1000",
        "--name", "HDFC Bank above ₹1,000", **env)
    cli(folder, "alerts", "check", **env)


def small_png(data: bytes, limit: int = MAX_BYTES) -> bytes:
    """The PNG as it is if it fits `limit`, else with an adaptive palette of 256, 128 or 64 colours."""
    if len(data) <= limit:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    for colours in (256, 128, 64):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
        if out.tell() <= limit:
            return out.getvalue()
    raise RuntimeError(f"screenshot still {out.tell():,} bytes with 64 colours; crop it")


def save(page, out: Path, name: str) -> None:  # noqa: ANN001 - playwright Page
    page.wait_for_timeout(600)  # plotly finishes its transitions
    if unreadable_metrics(page):
        print(f"{name}: metric values not readable: {unreadable_metrics(page)}")  # noqa: T201
    data = small_png(page.screenshot(type="png", scale="css"))
    (out / name).write_bytes(data)
    print(f"{name}: {len(data) / 1000:.0f} KB")  # noqa: T201 - a script's report


SCROLL_TO = """(e, gap) => {
    e.scrollIntoView({block: "start"});
    let box = e.parentElement;
    while (box && !(/auto|scroll/.test(getComputedStyle(box).overflowY) && box.scrollHeight > box.clientHeight)) {
        box = box.parentElement;
    }
    (box || document.scrollingElement).scrollBy(0, -gap);
}"""


def scroll_to(locator, gap: int = 0) -> None:  # noqa: ANN001 - playwright Locator
    """Scroll Streamlit's main container so the element sits `gap` CSS pixels below the top of the screen."""
    locator.first.evaluate(SCROLL_TO, gap)
    locator.page.wait_for_timeout(300)


def desktop_shots(page, out: Path) -> None:  # noqa: ANN001
    go_to(page, "market")
    go_to(page, "")  # Overview again: a fresh run reads the seeded deployments and alerts
    save(page, out, "overview-desktop.png")

    go_to(page, "backtest")
    page.get_by_role("button", name="Run backtest").click()
    page.get_by_text("Equity vs buy & hold").wait_for(timeout=120_000)
    wait_for_app(page)
    scroll_to(page.locator('[data-testid="stMetric"]'), gap=90)  # the run's name, its cards, then the chart
    save(page, out, "backtest-desktop.png")

    go_to(page, "paper")
    page.get_by_role("combobox", name="Deployment").click()
    page.get_by_role("option", name="#1 ·").click()  # INFY.NS, which holds a position
    wait_for_app(page)
    scroll_to(page.locator('[data-testid="stMetric"]'), gap=20)  # equity, cash and P&L, positions, equity curve
    save(page, out, "paper-desktop.png")

    go_to(page, "optimizer")
    page.get_by_role("button", name="Optimise").click()
    page.get_by_text("Allocation in whole lots").wait_for(timeout=180_000)
    wait_for_app(page, timeout_ms=180_000)
    scroll_to(page.locator('[data-testid="stMetric"]'), gap=20)  # the portfolio's cards, weights, the frontier
    save(page, out, "optimizer-desktop.png")


def phone_shots(page, app_url: str, out: Path) -> None:  # noqa: ANN001
    open_page(page, app_url, "")
    save(page, out, "overview-phone.png")


def run(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    env = {"QUANTDESK_WATCHLIST": WATCHLIST}
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp), **env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        shots: list[tuple[dict, Callable[..., None]]] = [
            (DESKTOP_SHOT, lambda page: desktop_shots(page, out)),
            (PHONE, lambda page: phone_shots(page, url, out)),
        ]
        for number, (options, take) in enumerate(shots):
            page = browser.new_context(**options).new_page()
            if number == 0:
                open_page(page, url, "")  # the first login: the server now holds the demo data
                seed(Path(tmp), env)
            take(page)
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    run(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
