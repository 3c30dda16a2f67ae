"""Candle queries: upsert and read bars as DataFrames (UTC DatetimeIndex named "ts")."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.errors import DataError
from storage.models import Candle

BAR_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
DEMO = "demo"


def _to_epoch(index: pd.DatetimeIndex) -> np.ndarray:
    if index.tz is None:
        raise DataError("bar timestamps must be timezone-aware (UTC)")
    return (index.tz_convert("UTC").as_unit("s").asi8).astype(np.int64)


def _insert_for(session: Session):  # noqa: ANN202 - dialect-specific Insert
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert(Candle)
    if name == "postgresql":
        return postgresql.insert(Candle)
    raise DataError(f"database dialect {name!r} is not supported for candle upserts")


def sources(session: Session, symbol: str, interval: str) -> set[str]:
    """The sources (yfinance, csv, demo) of the bars stored for one symbol and interval."""
    stmt = select(Candle.source).where(Candle.symbol == symbol, Candle.interval == interval).distinct()
    return set(session.scalars(stmt))


def upsert_candles(session: Session, symbol: str, interval: str, bars: pd.DataFrame, source: str) -> int:
    """Insert or update bars; returns the number of rows written.

    Demo bars never mix with real bars of the same symbol and interval: real bars replace stored demo
    bars, and demo bars are refused (DataError) where real ones are stored.
    """
    if bars.empty:
        return 0
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise DataError(f"bars are missing columns {missing}; expected {list(BAR_COLUMNS)}")
    present = sources(session, symbol, interval)
    if source == DEMO and present - {DEMO}:
        raise DataError(f"{symbol} {interval} already has real data; demo bars are not mixed in")
    if source != DEMO and DEMO in present:
        delete_candles(session, symbol, interval, source=DEMO)
    ts = _to_epoch(bars.index).tolist()
    n = len(ts)
    cols = [bars[c].to_numpy(dtype=float).tolist() for c in BAR_COLUMNS]
    stmt = _insert_for(session)
    stmt = stmt.on_conflict_do_update(
        index_elements=["symbol", "interval", "ts"],
        set_={c: getattr(stmt.excluded, c) for c in (*BAR_COLUMNS, "source")},
    )
    if session.get_bind().dialect.name == "sqlite":
        # Plain DBAPI executemany of tuples: ~6x faster than the ORM bulk path for 100k+ rows.
        conn = session.connection()
        sql = str(stmt.compile(dialect=conn.dialect))  # parameters in table column order
        by_name = {"symbol": [symbol] * n, "interval": [interval] * n, "ts": ts, "source": [source] * n,
                   **dict(zip(BAR_COLUMNS, cols))}
        conn.exec_driver_sql(sql, list(zip(*(by_name[c.name] for c in Candle.__table__.columns))))
        return n
    rows = [
        {"symbol": symbol, "interval": interval, "ts": t, "source": source, **dict(zip(BAR_COLUMNS, values))}
        for t, *values in zip(ts, *cols)
    ]
    session.execute(stmt, rows)
    return n


def delete_candles(
    session: Session, symbol: str, interval: str, *, source: str | None = None,
    timestamps: list[pd.Timestamp] | None = None,
) -> int:
    """Delete bars of one symbol/interval (optionally only one source or given timestamps)."""
    stmt = delete(Candle).where(Candle.symbol == symbol, Candle.interval == interval)
    if source is not None:
        stmt = stmt.where(Candle.source == source)
    if timestamps is not None:
        stmt = stmt.where(Candle.ts.in_([int(pd.Timestamp(t).timestamp()) for t in timestamps]))
    return session.execute(stmt).rowcount or 0


def _read(conn: Connection, symbol: str, interval: str, start: int | None, end: int | None) -> pd.DataFrame:
    stmt = select(Candle.ts, *(getattr(Candle, c) for c in BAR_COLUMNS), Candle.source).where(
        Candle.symbol == symbol, Candle.interval == interval
    )
    if start is not None:
        stmt = stmt.where(Candle.ts >= start)
    if end is not None:
        stmt = stmt.where(Candle.ts <= end)
    rows = conn.execute(stmt.order_by(Candle.ts)).all()
    if not rows:
        index = pd.DatetimeIndex([], tz="UTC", name="ts")
        return pd.DataFrame({c: pd.Series(dtype=float) for c in BAR_COLUMNS} | {"source": []}, index=index)
    ts, *values, src = zip(*rows)
    index = pd.DatetimeIndex(pd.to_datetime(np.asarray(ts, dtype=np.int64), unit="s", utc=True), name="ts")
    frame = pd.DataFrame({c: np.asarray(v, dtype=float) for c, v in zip(BAR_COLUMNS, values)}, index=index)
    frame["source"] = pd.Series(src, index=index, dtype=object)
    return frame


def load_candles(
    engine: Engine, symbol: str, interval: str = "1d",
    start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Bars for one symbol/interval in time order; empty frame (same columns) if none stored."""
    lo = int(pd.Timestamp(start).timestamp()) if start is not None else None
    hi = int(pd.Timestamp(end).timestamp()) if end is not None else None
    with engine.connect() as conn:
        return _read(conn, symbol, interval, lo, hi)


def time_span(session: Session, symbol: str, interval: str) -> tuple[pd.Timestamp, pd.Timestamp, int] | None:
    """(first bar, last bar, count) for one symbol/interval, or None if nothing is stored."""
    lo, hi, n = session.execute(
        select(func.min(Candle.ts), func.max(Candle.ts), func.count()).where(
            Candle.symbol == symbol, Candle.interval == interval
        )
    ).one()
    if not n:
        return None
    return pd.Timestamp(lo, unit="s", tz="UTC"), pd.Timestamp(hi, unit="s", tz="UTC"), int(n)


def coverage(engine: Engine) -> pd.DataFrame:
    """One row per stored symbol/interval: first, last, bars, sources."""
    stmt = (
        select(
            Candle.symbol, Candle.interval, func.min(Candle.ts), func.max(Candle.ts), func.count(),
            func.min(Candle.source), func.max(Candle.source),
        )
        .group_by(Candle.symbol, Candle.interval)
        .order_by(Candle.symbol, Candle.interval)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = pd.DataFrame(rows, columns=["symbol", "interval", "first", "last", "bars", "src_min", "src_max"])
    out["first"] = pd.to_datetime(out["first"].astype("int64"), unit="s", utc=True)
    out["last"] = pd.to_datetime(out["last"].astype("int64"), unit="s", utc=True)
    out["source"] = [a if a == b else f"{a}+{b}" for a, b in zip(out["src_min"], out["src_max"])]
    return out.drop(columns=["src_min", "src_max"])


def tail_candles(session: Session, symbol: str, interval: str, n: int) -> pd.DataFrame:
    """The last `n` stored bars of one symbol/interval in time order (empty frame if none)."""
    newest = (
        select(Candle.ts).where(Candle.symbol == symbol, Candle.interval == interval)
        .order_by(Candle.ts.desc()).limit(max(1, n))
    ).subquery()
    conn = session.connection()
    first = conn.execute(select(func.min(newest.c.ts))).scalar()
    if first is None:
        return _read(conn, symbol, interval, 1, 0)  # nothing stored: the empty frame
    return _read(conn, symbol, interval, first, None)
