"""Portfolio report on a real database: prices from stored closes, on-demand sync, XIRR, allocation, edits."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from engine.data.providers.base import Provider
from engine.data.providers.demo import DemoProvider
from engine.errors import DataError, ProviderOffline
from engine.portfolio import (
    Transaction,
    benchmark_for,
    benchmark_prices,
    build_report,
    load_transactions,
    record_transactions,
    remove_transactions,
    value_series,
    xirr,
)
from storage.candles import load_candles
from tests.pages.page_helpers import NOW, seed_demo_bars

T = Transaction
D = date
TODAY = D(2024, 6, 28)


class Offline(Provider):
    name = "yfinance"

    def fetch(self, symbol, interval="1d", start=None, end=None, period=None):  # noqa: ANN001, ANN201
        raise ProviderOffline("no network")


def _close(db, symbol: str, day: str) -> float:  # noqa: ANN001
    return float(load_candles(db, symbol, "1d", end=pd.Timestamp(day, tz="UTC"))["close"].iloc[-1])


@pytest.fixture
def book(db_engine):  # noqa: ANN001, ANN201
    seed_demo_bars(db_engine, ("RELIANCE.NS", "TCS.NS"), start="2022-01-01")
    txns = [T(D(2023, 3, 1), "RELIANCE.NS", "buy", 10, _close(db_engine, "RELIANCE.NS", "2023-03-01"), fees=15),
            T(D(2023, 6, 1), "TCS.NS", "buy", 4, _close(db_engine, "TCS.NS", "2023-06-01"), fees=10),
            T(D(2023, 9, 1), "RELIANCE.NS", "sell", 4, _close(db_engine, "RELIANCE.NS", "2023-09-01"), fees=8),
            T(D(2023, 11, 1), "TCS.NS", "dividend", amount=96)]
    record_transactions(db_engine, txns, today=TODAY)
    return txns


def test_report_values_at_the_latest_stored_close(db_engine, book) -> None:  # noqa: ANN001
    report = build_report(db_engine)
    last = {s: float(load_candles(db_engine, s, "1d")["close"].iloc[-1]) for s in ("RELIANCE.NS", "TCS.NS")}
    h = report.holdings.set_index("symbol")
    assert h.loc["RELIANCE.NS", "qty"] == 6 and h.loc["RELIANCE.NS", "value"] == pytest.approx(6 * last["RELIANCE.NS"])
    assert h.loc["TCS.NS", "value"] == pytest.approx(4 * last["TCS.NS"]) and h.loc["TCS.NS", "dividends"] == 96
    assert report.totals["value"] == pytest.approx(report.series["value"].iloc[-1])
    assert report.as_of == load_candles(db_engine, "RELIANCE.NS", "1d").index[-1].date()
    flows = [(t.trade_date, t.cash_flow) for t in book] + [(report.as_of, report.totals["value"])]
    assert report.totals["xirr"] == pytest.approx(xirr(flows), abs=1e-12)
    assert report.benchmark == "^NSEI" and report.demo_symbols == ["RELIANCE.NS", "TCS.NS"]
    alloc = report.allocation.set_index("symbol")
    assert alloc.loc["RELIANCE.NS", "sector"] == "Energy" and alloc.loc["TCS.NS", "sector"] == "Information Technology"
    assert set(alloc["asset_class"]) == {"Equity"} and alloc["weight"].sum() == pytest.approx(1)
    first_cost = book[0].qty * book[0].price + book[0].fees  # bought at the close: only the fees cost NAV
    assert report.nav.iloc[0] == pytest.approx(100 * report.series["value"].iloc[0] / first_cost)
    assert report.nav.index[0] == pd.Timestamp("2023-03-01", tz="UTC")
    assert report.as_dict()["totals"]["value"] == pytest.approx(report.totals["value"])


def test_report_as_of_an_earlier_date(db_engine, book) -> None:  # noqa: ANN001
    report = build_report(db_engine, on=D(2023, 7, 3))
    assert len(report.transactions) == 2 and report.as_of == D(2023, 7, 3)
    expected = 10 * _close(db_engine, "RELIANCE.NS", "2023-07-03") + 4 * _close(db_engine, "TCS.NS", "2023-07-03")
    assert report.totals["value"] == pytest.approx(expected)


def test_missing_symbols_are_synced_on_demand(db_engine) -> None:  # noqa: ANN001
    record_transactions(db_engine, [T(D(2024, 1, 5), "INFY.NS", "buy", 10, 1500)], today=TODAY)
    report = build_report(db_engine, provider=DemoProvider(now=NOW))
    assert not load_candles(db_engine, "INFY.NS", "1d").empty and report.notices == []
    assert report.allocation["sector"].tolist() == ["Information Technology"]


def test_offline_falls_back_to_demo_prices_with_a_notice(db_engine) -> None:  # noqa: ANN001
    record_transactions(db_engine, [T(D(2024, 1, 5), "WIPRO.NS", "buy", 10, 450)], today=TODAY)
    report = build_report(db_engine, provider=Offline())
    assert any("offline — demo prices loaded" in n for n in report.notices)
    assert report.demo_symbols == ["WIPRO.NS"]


def test_without_prices_the_last_trade_price_is_used(db_engine) -> None:  # noqa: ANN001
    record_transactions(db_engine, [T(D(2024, 1, 5), "ZZZ.NS", "buy", 10, 450, fees=5)], today=TODAY)
    report = build_report(db_engine, provider=Offline(), demo_fallback=False)
    assert any("valued at its last trade price" in n for n in report.notices)
    row = report.holdings.iloc[0]
    assert (row.price, row.value, row.unrealised) == (450, 4500, -5)
    assert report.allocation[["sector", "asset_class"]].iloc[0].tolist() == ["Unknown", "Equity"]  # no sector known
    assert math.isnan(report.totals["xirr"])  # one day of flows: no rate


def test_empty_portfolio_is_not_an_error(db_engine) -> None:  # noqa: ANN001
    report = build_report(db_engine)
    assert report.is_empty and report.holdings.empty and report.totals["value"] == 0
    assert math.isnan(report.totals["xirr"]) and report.as_of is None and report.series.empty
    with pytest.raises(DataError, match="no portfolio called 'Other'"):
        build_report(db_engine, "Other")


def test_edits_keep_the_book_valid(db_engine) -> None:  # noqa: ANN001
    buy, sell = T(D(2024, 1, 2), "SBIN.NS", "buy", 5, 600), T(D(2024, 1, 3), "SBIN.NS", "sell", 3, 610)
    ids = record_transactions(db_engine, [buy, sell], today=TODAY).ids
    with pytest.raises(DataError, match="exceeds the 2 shares"):
        record_transactions(db_engine, [T(D(2024, 1, 4), "SBIN.NS", "sell", 3, 620)], today=TODAY)
    with pytest.raises(DataError, match="after today"):
        record_transactions(db_engine, [T(D(2024, 7, 1), "SBIN.NS", "buy", 1, 600)], today=TODAY)
    with pytest.raises(DataError, match="cannot delete: without it, sell of 3 SBIN.NS on 2024-01-03"):
        remove_transactions(db_engine, [ids[0]])
    with pytest.raises(DataError, match="no transaction with id 999"):
        remove_transactions(db_engine, [999])
    assert remove_transactions(db_engine, ids) == 2 and load_transactions(db_engine) == []


def test_benchmark_defaults_and_prices(db_engine) -> None:  # noqa: ANN001
    assert (benchmark_for("INR"), benchmark_for("usd"), benchmark_for("EUR")) == ("^NSEI", "^GSPC", None)
    assert benchmark_prices(db_engine, "^NSEI", D(2024, 1, 1)) is None
    prices = benchmark_prices(db_engine, "^NSEI", D(2024, 1, 1), provider=DemoProvider(now=NOW))
    assert prices.index[0] >= pd.Timestamp("2024-01-01", tz="UTC") and prices.name == "^NSEI"


def test_value_series_matches_report_series(db_engine, book) -> None:  # noqa: ANN001
    closes = pd.DataFrame({s: load_candles(db_engine, s, "1d", pd.Timestamp("2023-03-01", tz="UTC"))["close"]
                           for s in ("RELIANCE.NS", "TCS.NS")})
    pd.testing.assert_series_equal(build_report(db_engine).series["nav"], value_series(book, closes)["nav"])
