"""The app shell: navigation over every page, the first start on an empty database, the sidebar badge."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from storage.candles import coverage
from tests.pages.page_helpers import ROOT, demo_env, seeded  # noqa: F401


def test_app_starts_and_fills_an_empty_database_with_the_watchlist(demo_env, db_engine) -> None:  # noqa: ANN001, F811
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run(timeout=90)
    assert not at.exception
    cov = coverage(db_engine)
    assert set(cov["symbol"]) == {"RELIANCE.NS", "TCS.NS"}  # the (test) watchlist, demo provider
    assert any("demo data" in w.value for w in at.sidebar.warning)
    assert at.title[0].value == "Overview"  # the default page (home)


def test_every_page_opens_from_the_navigation(seeded) -> None:  # noqa: ANN001, F811
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run(timeout=90)
    for page, title in [("pages/backtest.py", "Backtest"), ("pages/strategy_lab.py", "Strategy Lab"),
                        ("pages/data.py", "Data"), ("pages/market.py", "Market")]:
        at.switch_page(page).run(timeout=90)
        assert not at.exception, page
        assert at.title[0].value == title
