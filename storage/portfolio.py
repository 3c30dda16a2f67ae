"""Portfolio queries: portfolios, and adding, listing and deleting their transactions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from engine.errors import DataError
from storage.models import Portfolio, Transaction

DEFAULT_PORTFOLIO = "Main"
TRANSACTION_COLUMNS = ("id", "trade_date", "executed_at", "symbol", "kind", "qty", "price", "fees", "amount",
                       "ratio_from", "ratio_to", "currency", "note", "source", "external_id")


@dataclass(frozen=True)
class PortfolioInfo:
    id: int
    name: str
    base_currency: str
    created_at: datetime


@dataclass(frozen=True)
class AddResult:
    """Ids of the rows added, and how many were skipped as already stored (same source + external id)."""

    ids: list[int] = field(default_factory=list)
    duplicates: int = 0


def _info(row: Portfolio) -> PortfolioInfo:
    return PortfolioInfo(row.id, row.name, row.base_currency, row.created_at)


def ensure_portfolio(session: Session, name: str = DEFAULT_PORTFOLIO, base_currency: str = "INR") -> PortfolioInfo:
    """The portfolio called `name`, created (in the caller's transaction) when missing."""
    name = (name or "").strip()
    if not name:
        raise DataError("a portfolio needs a name, e.g. Main")
    row = session.scalars(select(Portfolio).where(Portfolio.name == name)).first()
    if row is None:
        row = Portfolio(name=name[:100], base_currency=base_currency.upper(), created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
    return _info(row)


def get_portfolio(session: Session, name: str) -> PortfolioInfo:
    """The portfolio called `name`; raises DataError (listing the existing ones) when there is none."""
    row = session.scalars(select(Portfolio).where(Portfolio.name == name)).first()
    if row is None:
        names = list(session.scalars(select(Portfolio.name).order_by(Portfolio.name)))
        known = f"; portfolios: {', '.join(names)}" if names else "; none exist yet — add a transaction first"
        raise DataError(f"no portfolio called {name!r}{known}")
    return _info(row)


def list_portfolios(engine: Engine) -> list[PortfolioInfo]:
    """All portfolios, oldest first."""
    with Session(engine) as session:
        return [_info(r) for r in session.scalars(select(Portfolio).order_by(Portfolio.id))]


def _as_dict(row: Transaction) -> dict[str, Any]:
    return {c: getattr(row, c) for c in TRANSACTION_COLUMNS}


def transaction_rows(session: Session, portfolio_id: int) -> list[dict[str, Any]]:
    """Every transaction of a portfolio as column dicts, by date then id."""
    stmt = (select(Transaction).where(Transaction.portfolio_id == portfolio_id)
            .order_by(Transaction.trade_date, Transaction.id))
    return [_as_dict(r) for r in session.scalars(stmt)]


def transactions_frame(engine: Engine, portfolio_id: int) -> pd.DataFrame:
    """Every transaction of a portfolio (columns TRANSACTION_COLUMNS), by date then id."""
    with Session(engine) as session:
        rows = transaction_rows(session, portfolio_id)
    frame = pd.DataFrame(rows, columns=list(TRANSACTION_COLUMNS))
    frame["executed_at"] = pd.to_datetime(frame["executed_at"], utc=True)
    return frame


def stored_external_ids(session: Session, portfolio_id: int, source: str) -> set[str]:
    stmt = select(Transaction.external_id).where(
        Transaction.portfolio_id == portfolio_id, Transaction.source == source, Transaction.external_id.is_not(None))
    return set(session.scalars(stmt))


def new_rows(session: Session, portfolio_id: int, rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The rows not stored yet (nor repeated earlier in `rows`) by (source, external_id), and the duplicate count."""
    seen: dict[str, set[str]] = {}
    fresh, dupes = [], 0
    for row in rows:
        ext, source = row.get("external_id"), row.get("source", "manual")
        if ext is not None:
            known = seen.setdefault(source, stored_external_ids(session, portfolio_id, source))
            if ext in known:
                dupes += 1
                continue
            known.add(ext)
        fresh.append(row)
    return fresh, dupes


def add_transactions(session: Session, portfolio_id: int, rows: Sequence[dict[str, Any]]) -> AddResult:
    """Insert rows (column dicts) in the caller's transaction, skipping already stored external ids."""
    fresh, dupes = new_rows(session, portfolio_id, rows)
    now = datetime.now(UTC)
    added = [Transaction(portfolio_id=portfolio_id, created_at=now, **{k: v for k, v in r.items() if k != "id"})
             for r in fresh]
    session.add_all(added)
    session.flush()
    return AddResult([r.id for r in added], dupes)


def delete_transactions(session: Session, portfolio_id: int, ids: Iterable[int]) -> int:
    """Delete transactions of this portfolio by id (in the caller's transaction); returns how many."""
    wanted = [int(i) for i in ids]
    if not wanted:
        return 0
    stmt = delete(Transaction).where(Transaction.portfolio_id == portfolio_id, Transaction.id.in_(wanted))
    return session.execute(stmt).rowcount or 0


def data_version(engine: Engine, portfolio_id: int) -> tuple[int, int]:
    """(count, largest id) of a portfolio's transactions: changes whenever rows are added or deleted."""
    with Session(engine) as session:
        count, top = session.execute(select(func.count(Transaction.id), func.max(Transaction.id))
                                     .where(Transaction.portfolio_id == portfolio_id)).one()
    return int(count or 0), int(top or 0)
