"""Read-only queries for the Overview: unacknowledged alert events, recent closes, paper equity before a day."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, func, select

from storage.models import AlertEvent, Candle, PaperEquity


def unacknowledged_events(engine: Engine) -> int:
    """How many alert events nobody has acknowledged yet (the Alerts page's Acknowledge clears them)."""
    stmt = select(func.count()).select_from(AlertEvent).where(AlertEvent.acknowledged_at.is_(None))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def recent_closes(engine: Engine, symbols: Sequence[str], interval: str, n: int) -> dict[str, pd.Series]:
    """The last `n` closes of each symbol (time order, UTC index) in one query; symbols without bars are absent."""
    if not symbols or n < 1:
        return {}
    rank = func.row_number().over(partition_by=Candle.symbol, order_by=Candle.ts.desc()).label("rank")
    inner = (select(Candle.symbol, Candle.ts, Candle.close, rank)
             .where(Candle.interval == interval, Candle.symbol.in_(list(symbols)))).subquery()
    stmt = select(inner.c.symbol, inner.c.ts, inner.c.close).where(inner.c.rank <= n).order_by(inner.c.symbol,
                                                                                               inner.c.ts)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["symbol", "ts", "close"])
    out: dict[str, pd.Series] = {}
    for symbol, part in frame.groupby("symbol", sort=False):
        index = pd.DatetimeIndex(pd.to_datetime(part["ts"].astype("int64"), unit="s", utc=True), name="ts")
        out[str(symbol)] = pd.Series(part["close"].astype(float).to_numpy(), index=index, name=str(symbol))
    return out


def day_equity(engine: Engine, deployment_id: int) -> tuple[pd.Timestamp, float, float | None] | None:
    """(latest bar time, its equity, the equity of the last bar on an earlier UTC date) of a paper deployment.

    None before its first tick; the third value is None when every mark is on the latest date.
    """
    base = select(PaperEquity.ts, PaperEquity.equity).where(PaperEquity.deployment_id == deployment_id)
    with engine.connect() as conn:
        last = conn.execute(base.order_by(PaperEquity.ts.desc()).limit(1)).first()
        if last is None:
            return None
        day = pd.Timestamp(int(last.ts), unit="s", tz="UTC").normalize()
        prior = conn.execute(base.where(PaperEquity.ts < int(day.timestamp()))
                             .order_by(PaperEquity.ts.desc()).limit(1)).first()
    return (pd.Timestamp(int(last.ts), unit="s", tz="UTC"), float(last.equity),
            None if prior is None else float(prior.equity))
