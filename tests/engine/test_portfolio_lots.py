"""FIFO lots by hand: sales consume the oldest lots, splits/bonuses keep cost, oversells name date and symbol."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from engine.errors import DataError
from engine.portfolio import HOLDING_COLUMNS, Transaction, build_book, holdings_table, totals

T = Transaction
D = date


def _infy() -> list[Transaction]:
    return [T(D(2024, 1, 1), "INFY.NS", "buy", 10, 100, fees=10),   # 10 @ 101 incl. fees
            T(D(2024, 2, 1), "INFY.NS", "buy", 10, 120),            # 10 @ 120
            T(D(2024, 3, 1), "INFY.NS", "split", ratio_from=1, ratio_to=2),  # → 20 @ 50.5, 20 @ 60
            T(D(2024, 4, 1), "INFY.NS", "sell", 25, 70, fees=5),    # 20 × 50.5 + 5 × 60 = 1,310
            T(D(2024, 5, 1), "INFY.NS", "dividend", amount=50, fees=5)]


def test_fifo_with_a_split_by_hand() -> None:
    book = build_book(_infy())
    sale = book.sales[0]
    assert (sale.qty, sale.proceeds, sale.cost, sale.pnl) == (25, 25 * 70 - 5, 1310.0, 435.0)
    [lot] = book.lots["INFY.NS"]
    assert (lot.opened, lot.qty, lot.cost_per_share) == (D(2024, 2, 1), 15.0, 60.0)
    assert book.dividends == {"INFY.NS": 45.0} and book.fees == {"INFY.NS": 20.0}
    row = holdings_table(book, {"INFY.NS": 80.0}).iloc[0]
    assert list(holdings_table(book, {}).columns) == list(HOLDING_COLUMNS)
    assert (row.qty, row.avg_cost, row.invested, row.value, row.unrealised) == (15, 60, 900, 1200, 300)
    assert (row.realised, row.dividends, row.weight) == (435, 45, 1.0)
    assert row.unrealised_pct == pytest.approx(1 / 3)


def test_bonus_keeps_total_cost_and_input_order_does_not_matter() -> None:
    txns = [T(D(2023, 6, 1), "TCS.NS", "buy", 3, 3000, fees=3),
            T(D(2023, 9, 1), "TCS.NS", "bonus", ratio_from=1, ratio_to=1)]
    book = build_book(reversed(txns))
    [lot] = book.lots["TCS.NS"]
    assert lot.qty == 6 and lot.cost == pytest.approx(9003) and lot.cost_per_share == pytest.approx(1500.5)
    two_for_one = build_book([txns[0], T(D(2023, 9, 1), "TCS.NS", "bonus", ratio_from=1, ratio_to=2)])
    assert two_for_one.qty("TCS.NS") == 9  # 2 new shares for each one held


def test_three_for_two_split_then_selling_everything_leaves_no_dust() -> None:
    book = build_book([T(D(2024, 1, 1), "X.NS", "buy", 7, 30), T(D(2024, 2, 1), "X.NS", "split", ratio_from=2, ratio_to=3),
                       T(D(2024, 3, 1), "X.NS", "sell", 10.5, 25)])
    assert book.lots["X.NS"] == [] and book.sales[0].cost == pytest.approx(210)
    table = holdings_table(book, {"X.NS": 26.0})
    assert table.iloc[0].qty == 0 and table.iloc[0].value == 0 and table.iloc[0].realised == pytest.approx(52.5)


def test_oversell_names_the_date_and_symbol() -> None:
    txns = [T(D(2024, 1, 2), "SBIN.NS", "buy", 5, 600), T(D(2024, 1, 3), "SBIN.NS", "sell", 6, 610)]
    with pytest.raises(DataError, match=r"sell of 6 SBIN.NS on 2024-01-03 exceeds the 5 shares held"):
        build_book(txns)
    with pytest.raises(DataError, match="on 2024-01-01"):  # a sale before any buy
        build_book([T(D(2024, 1, 1), "SBIN.NS", "sell", 1, 600), *txns[:1]])


def test_same_day_sell_entered_before_the_buy_is_not_an_oversell() -> None:
    day = D(2024, 1, 2)
    book = build_book([T(day, "SBIN.NS", "sell", 5, 610, id=1), T(day, "SBIN.NS", "buy", 5, 600, id=2)])
    assert book.sales[0].pnl == 50 and book.qty("SBIN.NS") == 0


def test_dividend_per_share_and_closed_positions_last() -> None:
    book = build_book([T(D(2024, 1, 1), "A.NS", "buy", 10, 10), T(D(2024, 1, 1), "B.NS", "buy", 10, 30),
                       T(D(2024, 2, 1), "A.NS", "sell", 10, 12), T(D(2024, 3, 1), "B.NS", "dividend", 10, 1.5)])
    table = holdings_table(book, {"A.NS": 11.0, "B.NS": 33.0})
    assert table["symbol"].tolist() == ["B.NS", "A.NS"]
    assert table.set_index("symbol").loc["B.NS", "dividends"] == 15.0
    assert totals(table) == pytest.approx({"value": 330, "invested": 300, "unrealised": 30, "realised": 20,
                                           "dividends": 15, "fees": 0, "total_pnl": 65})
    assert holdings_table(book, {}, include_closed=False)["symbol"].tolist() == ["B.NS"]
    assert math.isnan(holdings_table(book, {}).iloc[0].value)  # no price: no value rather than a wrong one


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "buyy"}, "did you mean 'buy'"),
    ({"qty": 0}, "quantity must be greater than 0"),
    ({"price": -1}, "price must be a number >= 0"),
    ({"kind": "split", "qty": 0}, "needs a ratio"),
    ({"kind": "dividend", "qty": 0, "price": 0}, "needs an amount"),
    ({"symbol": "not a symbol"}, "not a valid symbol"),
    ({"trade_date": "yesterday"}, "date must look like"),
])
def test_invalid_transactions_are_refused(fields: dict, message: str) -> None:
    args = {"trade_date": D(2024, 1, 1), "symbol": "INFY.NS", "kind": "buy", "qty": 1, "price": 1} | fields
    with pytest.raises(DataError, match=message):
        T(**args)


def test_fifo_matches_a_share_by_share_queue() -> None:
    """Random whole-share buys and sells: lot FIFO equals popping single shares off a queue."""
    rng = random.Random(7)
    for _ in range(50):
        txns, shares, pnl = [], [], 0.0
        for day in range(1, 40):
            price = float(rng.randint(50, 150))
            if shares and rng.random() < 0.4:
                qty = rng.randint(1, len(shares))
                pnl += sum(price - shares.pop(0) for _ in range(qty))
                txns.append(T(D(2024, 1, 1).replace(day=1 + day % 28, month=1 + day // 28), "Q.NS", "sell", qty, price))
            else:
                qty = rng.randint(1, 5)
                shares += [price] * qty
                txns.append(T(D(2024, 1, 1).replace(day=1 + day % 28, month=1 + day // 28), "Q.NS", "buy", qty, price))
        book = build_book(txns)
        assert sum(s.pnl for s in book.sales) == pytest.approx(pnl)
        assert book.invested("Q.NS") == pytest.approx(sum(shares)) and book.qty("Q.NS") == len(shares)
