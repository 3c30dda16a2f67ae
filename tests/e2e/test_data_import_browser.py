"""CSV import through the Data page in a real browser (AppTest cannot drive a file upload)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GOOD = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
    f"2024-01-{d:02d},{100 + d},{102 + d},{99 + d},{101 + d},{1000 * d}" for d in (2, 3, 4, 5, 8, 9, 10)
) + "\n2024-01-11,100,95,99,98,10\n"  # high below low: skipped and reported


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: ANN001
    """A desktop-sized page in its own browser context, closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _open_import_tab(page, app_url: str) -> None:  # noqa: ANN001
    page.goto(f"{app_url}/data", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_role("tab", name="Import CSV").click()


def test_upload_preview_and_import(page, app_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    csv = tmp_path / "bars.csv"
    csv.write_text(GOOD)
    _open_import_tab(page, app_url)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("7 bars read").wait_for(timeout=30_000)
    page.get_by_text("line 9: high 95.0 < low 99.0").wait_for(timeout=15_000)  # the skipped row is reported
    page.get_by_placeholder("e.g. INFY.NS").fill("E2E.NS")
    page.get_by_placeholder("e.g. INFY.NS").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported 7 bars of E2E.NS").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_malformed_csv_gets_a_clear_message(page, app_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.csv"
    bad.write_text("when,price\n2024-01-02,100\n")
    _open_import_tab(page, app_url)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.locator('[data-testid="stAlert"]').filter(has_text="column").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
