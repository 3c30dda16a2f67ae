"""Portfolio page through AppTest: empty state, metrics and tabs, the add form's validation, delete, import."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from engine.money import format_money
from engine.portfolio import Transaction, build_report, load_transactions, record_transactions
from storage.candles import load_candles
from tests.pages.page_helpers import app, chart_keys, demo_env, empty_db, errors, seeded  # noqa: F401

T = Transaction
TRADEBOOK = b"""symbol,isin,trade_date,exchange,segment,series,trade_type,auction,quantity,price,trade_id,order_id,order_execution_time
RELIANCE,INE002A01018,2024-01-05,NSE,EQ,EQ,buy,false,10,2510.50,55501234,1100000012345678,2024-01-05T09:20:11
TCS,INE467B01029,2024-02-01,NSE,EQ,EQ,buy,false,2,3800,77001,1200000000000001,2024-02-01T10:01:00
RELIANCE,INE002A01018,2024-03-01,NSE,EQ,EQ,sell,false,4,2900,55509999,1100000099999999,2024-03-01T14:59:59
"""


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def frame_with(at, column: str) -> pd.DataFrame:  # noqa: ANN001
    """The first st.dataframe showing `column` (AppTest does not expose dataframe keys)."""
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _close(db, symbol: str, day: str) -> float:  # noqa: ANN001
    return float(load_candles(db, symbol, "1d", end=pd.Timestamp(day, tz="UTC"))["close"].iloc[-1])


def _seed_book(db) -> None:  # noqa: ANN001
    record_transactions(db, [
        T(date(2023, 3, 1), "RELIANCE.NS", "buy", 10, _close(db, "RELIANCE.NS", "2023-03-01"), fees=15),
        T(date(2023, 6, 1), "TCS.NS", "buy", 4, _close(db, "TCS.NS", "2023-06-01"), fees=10),
        T(date(2023, 9, 1), "RELIANCE.NS", "sell", 4, _close(db, "RELIANCE.NS", "2023-09-01"), fees=8),
        T(date(2023, 11, 1), "TCS.NS", "dividend", amount=96),
    ])


def _form(at, **values) -> None:  # noqa: ANN001
    for name, value in values.items():
        widget = at.selectbox(key="portfolio_kind") if name == "kind" else at.get_by_key(f"portfolio_{name}")
        widget.set_value(value)
    at.button(key="portfolio_add").click().run()


def test_empty_portfolio_shows_what_to_do(empty_db) -> None:  # noqa: ANN001, F811
    at = app("portfolio")
    assert not at.exception and not errors(at)
    assert any("No transactions yet" in i.value for i in at.info)
    assert not at.metric and [t.label for t in at.tabs] == ["Holdings", "Transactions", "Import", "Allocation",
                                                           "Tear sheet"]
    assert any("tear sheet appears once" in i.value for i in at.info)


def test_metrics_holdings_allocation_and_tear_sheet(seeded, db_engine) -> None:  # noqa: ANN001, F811
    _seed_book(db_engine)
    at = app("portfolio")
    assert not at.exception and not errors(at)
    report = build_report(db_engine)
    m = metrics(at)
    assert m["Value"] == format_money(report.totals["value"], "INR")
    assert m["Realised P&L"] == format_money(report.totals["realised"], "INR")
    assert m["XIRR"] == f"{report.totals['xirr']:+.2%}"
    assert {"Value", "Invested", "Unrealised P&L", "Realised P&L", "XIRR", "Today's change"} <= set(m)
    holdings = frame_with(at, "Unrealised %")
    assert holdings["Symbol"].tolist() == report.holdings["symbol"].tolist()
    assert {"portfolio_sunburst", "portfolio_cumulative"} <= chart_keys(at)
    assert any("demo data" in w.value for w in at.warning)
    assert not load_candles(db_engine, "^NSEI", "1d").empty  # the benchmark was fetched for the tear sheet


def test_add_form_validates_then_adds(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = app("portfolio")
    _form(at, kind="buy", symbol="INFY.NS", qty=0.0, price=1500.0)
    assert not at.exception and errors(at) == ["a buy or sell needs a quantity > 0 and a price > 0"]
    _form(at, qty=10.0, date=date(2024, 1, 5))
    assert not at.exception and not errors(at)
    assert any("Added: buy INFY.NS on 05 Jan 2024" in s.value for s in at.success)
    assert [(t.kind, t.symbol, t.qty) for t in load_transactions(db_engine)] == [("buy", "INFY.NS", 10.0)]
    assert "Value" in metrics(at)
    _form(at, kind="sell", qty=20.0, date=date(2024, 2, 5))
    assert any("exceeds the 10 shares held" in e for e in errors(at))
    _form(at, kind="split", ratio="1-5")
    assert any("ratio must look like 1:5" in e for e in errors(at))
    _form(at, kind="buy", qty=1.0, date=date.today() + timedelta(days=3))  # the picker stops at today
    assert not at.exception and max(t.trade_date for t in load_transactions(db_engine)) <= date.today()


def test_delete_keeps_the_book_valid(seeded, db_engine) -> None:  # noqa: ANN001, F811
    _seed_book(db_engine)
    ids = {t.kind + t.symbol: t.id for t in load_transactions(db_engine)}
    at = app("portfolio")
    at.multiselect(key="portfolio_delete_ids").set_value([ids["buyRELIANCE.NS"]]).run()
    at.button(key="portfolio_delete").click().run()
    assert any("cannot delete" in e for e in errors(at))
    at.multiselect(key="portfolio_delete_ids").set_value([ids["dividendTCS.NS"]]).run()
    at.button(key="portfolio_delete").click().run()
    assert not at.exception and any("Deleted 1 transaction" in s.value for s in at.success)
    assert len(load_transactions(db_engine)) == 3


def test_import_preview_errors_and_idempotent_import(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = app("portfolio")
    at.file_uploader(key="portfolio_upload").set_value(("bad.csv", TRADEBOOK.replace(b",10,2510", b",ten,2510"),
                                                        "text/csv")).run()
    assert not at.exception and any("line 2: quantity 'ten' is not a number" in e for e in errors(at))
    assert at.button(key="portfolio_import").disabled
    at.file_uploader(key="portfolio_upload").set_value(("tb.csv", TRADEBOOK, "text/csv")).run()
    assert not errors(at) and len(frame_with(at, "trade_id")) == 3
    at.button(key="portfolio_import").click().run()
    assert any("Imported 3 new trade(s); 0 were already there" in s.value for s in at.success)
    at.button(key="portfolio_import").click().run()
    assert any("Imported 0 new trade(s); 3 were already there" in s.value for s in at.success)
    assert len(load_transactions(db_engine)) == 3 and metrics(at)["Value"].startswith("₹")
