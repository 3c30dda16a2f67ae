"""Pre-trade checks: each limit refuses with a reason, exits pass, trading hours follow the exchange calendar."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.errors import ParameterError, RiskRejected
from engine.risk.breaker import BreakerRules, new_breaker, update
from engine.risk.checks import (
    Holding,
    OrderIntent,
    PortfolioState,
    RiskLimits,
    check_order,
    ensure_order_allowed,
    is_trading_hours,
    sector_of,
)

OPEN = pd.Timestamp("2024-06-28 05:00", tz="UTC")  # Friday 10:30 IST, NSE open
NO_LIMITS = RiskLimits(trading_hours_only=False)


def book(*holdings: Holding, cash: float = 100_000.0) -> PortfolioState:
    return PortfolioState(cash=cash, holdings=tuple(holdings))


def buy(symbol: str = "INFY.NS", qty: float = 10, price: float = 1500.0, **kw) -> OrderIntent:
    return OrderIntent(symbol, "buy", qty, price, **kw)


@pytest.mark.parametrize(("when", "expected"), [
    ("2024-06-28 03:44", False),  # 09:14 IST, before the open
    ("2024-06-28 03:45", True),  # 09:15 IST, the open
    ("2024-06-28 09:59", True),
    ("2024-06-28 10:00", False),  # 15:30 IST, the close (exclusive)
    ("2024-06-29 05:00", False),  # Saturday
    ("2024-01-26 05:00", False),  # Republic Day holiday (Friday)
])
def test_nse_trading_hours(when, expected):
    assert is_trading_hours("INFY.NS", pd.Timestamp(when, tz="UTC")) is expected


def test_us_and_crypto_hours():
    assert is_trading_hours("AAPL", pd.Timestamp("2024-06-28 14:00", tz="UTC"))  # 10:00 New York
    assert not is_trading_hours("AAPL", pd.Timestamp("2024-06-28 05:00", tz="UTC"))
    assert is_trading_hours("BTC-USD", pd.Timestamp("2024-06-29 23:59", tz="UTC"))


def test_clean_order_passes():
    assert check_order(buy(), book(), RiskLimits(), OPEN) == []


def test_outside_trading_hours_is_refused_unless_switched_off():
    closed = pd.Timestamp("2024-06-29 05:00", tz="UTC")
    reasons = check_order(buy(), book(), RiskLimits(), closed)
    assert len(reasons) == 1 and "market is closed" in reasons[0]
    assert check_order(buy(), book(), NO_LIMITS, closed) == []


def test_max_open_positions_counts_only_new_symbols():
    held = book(Holding("TCS.NS", 5, 3800), Holding("SBIN.NS", 10, 750))
    limits = RiskLimits(max_open_positions=2, trading_hours_only=False)
    reasons = check_order(buy(), held, limits, OPEN)
    assert len(reasons) == 1 and "2 positions are open and the limit is 2" in reasons[0]
    assert check_order(buy("TCS.NS", 1, 3800), held, limits, OPEN) == []  # adding to an open one


def test_max_position_value_includes_the_existing_position():
    held = book(Holding("INFY.NS", 40, 1500))
    limits = RiskLimits(max_position_value=75_000, trading_hours_only=False)
    assert check_order(buy(qty=10), held, limits, OPEN) == []  # 50 × 1500 = 75,000
    reasons = check_order(buy(qty=11), held, limits, OPEN)
    assert len(reasons) == 1 and "₹76,500.00" in reasons[0] and "max position value" in reasons[0]


def test_sector_exposure_in_percent_of_equity():
    # equity = 100,000 cash + 10 × 3800 TCS (IT) = 138,000; IT after buying 10 INFY = 38,000 + 15,000 = 53,000 = 38.4 %
    held = book(Holding("TCS.NS", 10, 3800))
    assert sector_of("TCS.NS") == sector_of("INFY.NS") == "Information Technology"
    reasons = check_order(buy(), held, RiskLimits(max_sector_exposure_pct=35, trading_hours_only=False), OPEN)
    assert len(reasons) == 1 and "Information Technology exposure would be 38.4%" in reasons[0]
    assert check_order(buy(), held, RiskLimits(max_sector_exposure_pct=40, trading_hours_only=False), OPEN) == []
    assert check_order(buy("SBIN.NS", 10, 750), held,
                       RiskLimits(max_sector_exposure_pct=35, trading_hours_only=False), OPEN) == []


def test_unknown_sector_is_grouped_and_overridable():
    assert sector_of("ZZZZ.NS") == "Unclassified"
    assert sector_of("ZZZZ.NS", "Metals") == "Metals"


def test_enough_cash_with_costs_and_buffer():
    limits = RiskLimits(min_cash_buffer=5_000, trading_hours_only=False)
    assert check_order(buy(qty=63, costs=0), book(), limits, OPEN) == []  # 94,500 leaves 5,500
    reasons = check_order(buy(qty=63, costs=600), book(), limits, OPEN)
    assert len(reasons) == 1 and "not enough cash" in reasons[0]


def test_exits_pass_every_exposure_limit_but_not_closed_markets():
    held = book(Holding("INFY.NS", 100, 1500), Holding("TCS.NS", 10, 3800), cash=0)
    strict = RiskLimits(max_open_positions=1, max_position_value=1, max_sector_exposure_pct=1, min_cash_buffer=1e9)
    sell = OrderIntent("INFY.NS", "sell", 100, 1500)
    assert check_order(sell, held, strict, OPEN) == []
    assert check_order(sell, held, strict, pd.Timestamp("2024-06-29 05:00", tz="UTC")) != []


def test_flipping_long_to_short_counts_as_new_exposure():
    held = book(Holding("INFY.NS", 10, 1500))
    flip = OrderIntent("INFY.NS", "sell", 30, 1500)
    reasons = check_order(flip, held, RiskLimits(max_position_value=20_000, trading_hours_only=False), OPEN)
    assert len(reasons) == 1 and "₹30,000.00" in reasons[0]  # short of 20 × 1500


def test_tripped_breaker_blocks_entries_only():
    state = new_breaker(BreakerRules(daily_loss_pct=2))
    state = update(state, 100_000, OPEN)
    state = update(state, 97_000, OPEN + pd.Timedelta(minutes=5))
    assert state.is_tripped
    reasons = check_order(buy(), book(), NO_LIMITS, OPEN, breaker=state)
    assert len(reasons) == 1 and "circuit breaker is tripped" in reasons[0]
    held = book(Holding("INFY.NS", 10, 1500))
    assert check_order(OrderIntent("INFY.NS", "sell", 10, 1500), held, NO_LIMITS, OPEN, breaker=state) == []


def test_several_reasons_and_ensure_raises_risk_rejected():
    limits = RiskLimits(max_position_value=1_000, min_cash_buffer=99_000)
    closed = pd.Timestamp("2024-06-29 05:00", tz="UTC")
    assert len(check_order(buy(), book(), limits, closed)) == 3
    with pytest.raises(RiskRejected, match="market is closed.*max position value.*not enough cash"):
        ensure_order_allowed(buy(), book(), limits, closed)
    ensure_order_allowed(buy(), book(), RiskLimits(), OPEN)


@pytest.mark.parametrize("order", [OrderIntent("INFY.NS", "hold", 1, 10), OrderIntent("INFY.NS", "buy", 0, 10),
                                   OrderIntent("INFY.NS", "buy", 1, float("nan"))])
def test_malformed_orders_raise(order):
    with pytest.raises(ParameterError):
        check_order(order, book(), RiskLimits(), OPEN)


def test_limits_round_trip_and_unknown_keys():
    limits = RiskLimits(max_open_positions=3, max_position_value=5e4, max_sector_exposure_pct=30, min_cash_buffer=1e3)
    assert RiskLimits.from_dict(limits.as_dict()) == limits
    with pytest.raises(ParameterError, match="max_open_positions"):
        RiskLimits.from_dict({"max_positions": 3})
