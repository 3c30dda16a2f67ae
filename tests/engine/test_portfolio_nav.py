"""Value and time-weighted NAV series by hand: deposits and withdrawals never move the NAV; splits keep value."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from engine.portfolio import Transaction, day_change, mark_prices, value_series

T = Transaction
D = date


def _closes(values: dict[str, list[float]], start: str = "2024-01-01") -> pd.DataFrame:
    n = len(next(iter(values.values())))
    index = pd.date_range(start, periods=n, freq="D", tz="UTC", name="ts")
    return pd.DataFrame(values, index=index)


def test_flows_are_neutral_by_hand() -> None:
    closes = _closes({"A.NS": [100.0, 110.0, 110.0, 121.0, 121.0]})
    txns = [T(D(2024, 1, 1), "A.NS", "buy", 10, 100), T(D(2024, 1, 3), "A.NS", "buy", 10, 110),
            T(D(2024, 1, 4), "A.NS", "sell", 10, 121)]
    s = value_series(txns, closes)
    assert s["value"].tolist() == [1000, 1100, 2200, 1210, 1210]
    assert s["inflow"].tolist() == [1000, 0, 1100, 0, 0] and s["outflow"].tolist() == [0, 0, 0, 1210, 0]
    assert s["nav"].tolist() == pytest.approx([100, 110, 110, 121, 121])
    assert day_change(s) == (0.0, 0.0)
    assert day_change(s.iloc[:4]) == pytest.approx((220.0, 0.1))  # 20 shares gained 11: 1,210 + 1,210 out − 2,200


def test_nav_tracks_the_price_whatever_is_bought_when() -> None:
    rng = np.random.default_rng(3)
    prices = 100 * np.cumprod(1 + rng.normal(0, 0.02, 60))
    closes = _closes({"A.NS": prices.tolist()})
    days = closes.index
    txns = [T(days[i].date(), "A.NS", "buy", q, prices[i]) for i, q in ((0, 5), (10, 20), (30, 7))]
    txns.append(T(days[45].date(), "A.NS", "sell", 15, prices[45]))
    nav = value_series(txns, closes)["nav"]
    np.testing.assert_allclose(nav.to_numpy(), 100 * prices / prices[0], rtol=1e-12)


def test_buy_fees_and_intraday_gain_count_on_the_day() -> None:
    closes = _closes({"A.NS": [105.0, 105.0]})
    s = value_series([T(D(2024, 1, 1), "A.NS", "buy", 10, 100, fees=10)], closes)
    assert s["return"].iloc[0] == pytest.approx(1050 / 1010 - 1)  # bought at 100 + fees, closed at 105


def test_split_adjusted_closes_keep_value_across_a_recorded_split() -> None:
    # Yahoo restates closes before a 1:2 split: the 200 traded on day 1 shows as 100.
    closes = _closes({"S.NS": [100.0, 100.0, 100.0, 102.0]})
    txns = [T(D(2024, 1, 1), "S.NS", "buy", 10, 200), T(D(2024, 1, 3), "S.NS", "split", ratio_from=1, ratio_to=2)]
    s = value_series(txns, closes)
    assert s["value"].tolist() == [2000, 2000, 2000, 2040]
    assert s["nav"].iloc[-1] == pytest.approx(102)
    assert mark_prices(txns, pd.DataFrame()).iloc[0, 0] == 100  # trade price restated in today's shares


def test_trade_prices_mark_symbols_without_stored_closes_and_dividends_are_returns() -> None:
    closes = _closes({"A.NS": [10.0, 11.0, 12.0]})
    txns = [T(D(2024, 1, 1), "A.NS", "buy", 10, 10), T(D(2024, 1, 2), "Z.NS", "buy", 1, 50),
            T(D(2024, 1, 3), "A.NS", "dividend", amount=5)]
    s = value_series(txns, closes)
    assert s["value"].tolist() == [100, 160, 170]  # Z.NS marked at its buy price, carried forward
    # the dividend is received before the day's move (5 on 160), then 160 → 170
    assert s["return"].iloc[2] == pytest.approx((165 / 160) * (170 / 160) - 1)


def test_full_exit_with_fees_and_switching_symbols() -> None:
    closes = _closes({"A.NS": [100.0, 110.0, 120.0], "B.NS": [50.0, 50.0, 55.0]})
    txns = [T(D(2024, 1, 1), "A.NS", "buy", 10, 100),
            T(D(2024, 1, 2), "A.NS", "sell", 10, 105, fees=5),  # A ends the day at 110: after the sale
            T(D(2024, 1, 2), "B.NS", "buy", 20, 50, fees=10)]
    s = value_series(txns, closes)
    assert s["value"].tolist() == [1000, 1000, 1100]
    assert s["return"].iloc[1] == pytest.approx((1045 / 1000) * (1000 / 1010) - 1)
    assert s["return"].iloc[2] == pytest.approx(0.1)
    later = value_series(txns[:2], closes)  # all sold: the NAV stays where the sale left it
    assert later["value"].tolist() == [1000, 0, 0] and later["nav"].iloc[-1] == pytest.approx(104.5)


def test_weekend_transaction_gets_a_row_and_empty_input_is_empty() -> None:
    closes = _closes({"A.NS": [10.0, 10.0]}, start="2024-01-05")  # Fri, Sat
    s = value_series([T(D(2024, 1, 7), "A.NS", "buy", 1, 10)], closes)  # Sunday
    assert [d.day for d in s.index] == [7] and str(s.index.tz) == "UTC"
    assert value_series([], closes).empty
