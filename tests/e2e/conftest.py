"""End-to-end fixtures: a real Streamlit server on loopback (demo data, login required) and headless Debian Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bcrypt
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
USER, PASSWORD = "e2e-trader", "e2e-Password-42"
DESKTOP = {"viewport": {"width": 1400, "height": 900}}
# A phone's user agent too: Streamlit closes the sidebar after a page is picked only on a mobile device
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/126.0.0.0 Mobile Safari/537.36"}
LOGIN_BUTTON = '[data-testid="stFormSubmitButton"] button:has-text("Log in")'
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_secrets(folder: Path) -> Path:
    """A secrets.toml with one Quantdesk user (bcrypt with few rounds: a login costs ~1 ms, not ~250)."""
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    path = folder / "secrets.toml"
    path.write_text(f'[quantdesk_auth.users."{USER}"]\n'
                    f'password_hash = "{password_hash}"\n')
    return path


def server_env(tmp: Path) -> dict[str, str]:
    """The environment of an app (or CLI) process on the e2e database: demo data, no scheduler, login on."""
    return {**os.environ, "QUANTDESK_DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}", "QUANTDESK_PROVIDER": "demo",
            "QUANTDESK_SCHEDULER": "off", "QUANTDESK_CONFIG": str(tmp / "none.toml"),
            "QUANTDESK_AUTH_REQUIRED": "true", "XDG_CACHE_HOME": str(tmp / "cache"),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@contextmanager
def running_app(folder: Path, **env: str) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port over the database in `folder`; yields its URL."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--secrets.files", str(write_secrets(folder))]
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(folder) | env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"Streamlit did not start: {(folder / 'server.log').read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def cli(folder: Path, *argv: str, **env: str) -> Any:  # noqa: ANN401 - parsed JSON
    """`python -m engine … --json` against the database in `folder`; the parsed JSON output."""
    done = subprocess.run([sys.executable, "-m", "engine", *argv, "--json"], cwd=ROOT, env=server_env(folder) | env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{argv}: {done.stderr[-1500:]}"
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the app under test: its SQLite database, secrets file and server log."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def app_url(e2e_dir: Path) -> Iterator[str]:
    with running_app(e2e_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed browser test leaves a screenshot of every open tab in tests/e2e/screenshots/failed-*.png."""
    report = yield
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.failed and browser is not None and report.when in ("setup", "call"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        tabs = [page for context in browser.contexts for page in context.pages]
        for i, page in enumerate(tabs):
            try:
                page.screenshot(path=str(SHOTS / f"failed-{item.name}-{i}.png"))
            except Exception:  # noqa: BLE001 - a closed or crashed tab: nothing to show
                pass
    return report


def _wait_for_run(page, timeout_ms: int) -> None:  # noqa: ANN001 - playwright Page
    """Wait until a title or an exception shows and the script run has finished (idle for 0.3 s in a row)."""
    page.wait_for_selector('h1, [data-testid="stException"]', timeout=timeout_ms)
    deadline = time.time() + timeout_ms / 1000
    idle = 0
    while time.time() < deadline and idle < 3:
        done = page.locator(IDLE_APP).count() == 1 and page.locator('[data-testid="stStatusWidget"]').count() == 0
        idle = idle + 1 if done else 0
        page.wait_for_timeout(100)


def is_login_form(page) -> bool:  # noqa: ANN001
    return page.locator(LOGIN_BUTTON).count() > 0


def log_in(page, user: str = USER, password: str = PASSWORD, timeout_ms: int = 90_000) -> None:  # noqa: ANN001
    """Fill the login form and submit it; returns once the run it started has finished (the app, or the form
    again with its error)."""
    page.get_by_role("textbox", name="Username").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.locator(LOGIN_BUTTON).click()
    await_rerun(page)
    _wait_for_run(page, timeout_ms)


def wait_for_app(page, timeout_ms: int = 90_000) -> None:  # noqa: ANN001 - playwright Page
    """Wait until Streamlit rendered the page and finished running the script.

    A login form is filled in on the way (every new browser session has to log in); the page the URL
    asked for is then opened through the navigation if the login landed elsewhere.
    """
    _wait_for_run(page, timeout_ms)
    if is_login_form(page):
        wanted = url_path(page.url)
        log_in(page, timeout_ms=timeout_ms)
        _wait_for_run(page, timeout_ms)
        if url_path(page.url) != wanted:
            go_to(page, wanted, timeout_ms)
    page.wait_for_timeout(200)  # charts finish drawing


def url_path(url: str) -> str:
    """The page part of an app URL: "" for the home page, "backtest" for /backtest."""
    return urlsplit(url).path.strip("/")


def sidebar_collapsed(page) -> bool:  # noqa: ANN001
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    return box is None or box["width"] < 1 or box["x"] + box["width"] <= 0


def go_to(page, path: str, timeout_ms: int = 90_000) -> None:  # noqa: ANN001
    """Open an app page like a user does, through the sidebar navigation (the session and login stay)."""
    if url_path(page.url) == path:
        return
    if sidebar_collapsed(page):
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    nav = page.locator('[data-testid="stSidebarNav"]')
    link = nav.locator(f'a[href$="/{path}"]') if path else nav.locator("a").first
    if link.count() == 0:  # the navigation shows its first pages and "View N more"
        nav.locator('[data-testid="stSidebarNavViewButton"]').click()
    link.click()
    page.wait_for_url(lambda u: url_path(u) == path, timeout=timeout_ms)
    await_rerun(page)
    _wait_for_run(page, timeout_ms)


def await_rerun(page, timeout_ms: int = 2_000) -> None:  # noqa: ANN001
    """After a click: wait until the app leaves the idle state, so the old page is not taken for the new one."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => !document.querySelector('{IDLE_APP}')", timeout=timeout_ms)
    except PlaywrightTimeout:  # no rerun followed (or it was over before the first look)
        pass


def open_page(page, app_url: str, path: str, timeout_ms: int = 90_000) -> None:  # noqa: ANN001
    """Load an app page by its URL in a fresh session: log in, land on the page, wait for the run."""
    page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_ms)
    assert url_path(page.url) == path, f"asked for /{path}, got {page.url}"


# Each visible metric value: its box inside the screen and its text not cut short by an ellipsis.
METRIC_BOXES = """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .filter(e => e.offsetParent !== null)
    .map(e => ({text: e.innerText, left: e.getBoundingClientRect().left, right: e.getBoundingClientRect().right,
                clipped: [e, ...e.querySelectorAll('*')].some(x => x.scrollWidth > x.clientWidth + 1)}))"""


def unreadable_metrics(page) -> list[str]:  # noqa: ANN001 - playwright Page
    """Metric values that are cut short by an ellipsis or reach beyond the screen's width (empty = all fine)."""
    width = page.viewport_size["width"]
    return [f"{m['text']!r} ({'cut short' if m['clipped'] else 'off screen'})" for m in page.evaluate(METRIC_BOXES)
            if m["clipped"] or m["left"] < -1 or m["right"] > width + 1]


def overflow(page) -> int:  # noqa: ANN001
    """How many CSS pixels the page is wider than the screen (0 = no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def exception_text(page) -> str:  # noqa: ANN001
    boxes = page.locator('[data-testid="stException"]')
    return boxes.first.inner_text()[:2000] if boxes.count() else ""


def shoot(page, name: str) -> Path:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
