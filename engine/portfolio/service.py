"""Recording portfolio transactions: each change is one database transaction that keeps the book valid."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from engine.errors import DataError
from engine.portfolio.lots import build_book
from engine.portfolio.transactions import Transaction, check_not_future
from storage import portfolio as store
from storage.db import transaction
from storage.portfolio import DEFAULT_PORTFOLIO, AddResult

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = ["DEFAULT_PORTFOLIO", "AddResult", "load_transactions", "portfolio_names", "record_transactions",
           "remove_transactions", "transactions_table"]


def _stored(session: Session, portfolio_id: int) -> list[Transaction]:
    return [Transaction.from_row(r) for r in store.transaction_rows(session, portfolio_id)]


def record_transactions(db: Engine, transactions: Sequence[Transaction], portfolio: str = DEFAULT_PORTFOLIO,
                        today: date | None = None, base_currency: str = "INR") -> AddResult:
    """Add transactions to `portfolio` (created when missing) in one database transaction.

    Rows whose (source, external_id) is already stored are skipped, so re-importing a tradebook
    adds nothing. Raises DataError — and stores nothing — for a transaction dated after `today`
    (default: the local date) or when the book with the new rows would sell more than it holds.
    """
    check_not_future(list(transactions), today or date.today())
    with transaction(db) as session:
        info = store.ensure_portfolio(session, portfolio, base_currency)
        fresh, dupes = store.new_rows(session, info.id, [t.as_row() for t in transactions])
        build_book(_stored(session, info.id) + [Transaction.from_row(r) for r in fresh])
        added = store.add_transactions(session, info.id, fresh)
    return AddResult(added.ids, dupes)


def remove_transactions(db: Engine, ids: Iterable[int], portfolio: str = DEFAULT_PORTFOLIO) -> int:
    """Delete transactions by id in one database transaction; returns how many were deleted.

    Raises DataError (deleting nothing) when an id is not in the portfolio, or when what is left
    would sell more than it holds (e.g. deleting the buy a later sale consumed).
    """
    wanted = {int(i) for i in ids}
    with transaction(db) as session:
        info = store.get_portfolio(session, portfolio)
        stored = _stored(session, info.id)
        unknown = wanted - {t.id for t in stored}
        if unknown:
            raise DataError(f"no transaction with id {', '.join(map(str, sorted(unknown)))} in portfolio {portfolio!r}")
        try:
            build_book([t for t in stored if t.id not in wanted])
        except DataError as exc:
            raise DataError(f"cannot delete: without it, {exc}") from None
        return store.delete_transactions(session, info.id, wanted)


def load_transactions(db: Engine, portfolio: str = DEFAULT_PORTFOLIO) -> list[Transaction]:
    """The portfolio's transactions (none for a default portfolio not created yet).

    Raises DataError for any other unknown portfolio name.
    """
    with transaction(db) as session:
        try:
            info = store.get_portfolio(session, portfolio)
        except DataError:
            if portfolio == DEFAULT_PORTFOLIO:
                return []
            raise
        return _stored(session, info.id)


def transactions_table(db: Engine, portfolio: str = DEFAULT_PORTFOLIO) -> pd.DataFrame:
    """The portfolio's transactions for display, newest first (empty frame when there are none)."""
    rows = [t.as_row() | {"id": t.id} for t in load_transactions(db, portfolio)]
    columns = list(store.TRANSACTION_COLUMNS)
    frame = pd.DataFrame(rows, columns=columns)
    return frame.iloc[::-1].reset_index(drop=True)


def portfolio_names(db: Engine) -> list[str]:
    """Names of the stored portfolios, oldest first (the default one first when none exist)."""
    return [p.name for p in store.list_portfolios(db)] or [DEFAULT_PORTFOLIO]
