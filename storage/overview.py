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


def recent_bars(engine: Engine, symbols: Sequence[str], interval: str, n: int) -> dict[str, pd.DataFrame]:
    """The last `n` bars (close, source) of each symbol in time order on a UTC index; symbols without bars are absent.

    One primary-key range scan per symbol (newest first, limited), so the cost does not grow with history.
    """
    out: dict[str, pd.DataFrame] = {}
    if n < 1:
        return out
    with engine.connect() as conn:
        for symbol in dict.fromkeys(symbols):
            stmt = (select(Candle.ts, Candle.close, Candle.source)
                    .where(Candle.symbol == symbol, Candle.interval == interval)
                    .order_by(Candle.ts.desc()).limit(n))
            rows = conn.execute(stmt).all()[::-1]
            if rows:
                ts, close, source = zip(*rows)
                index = pd.DatetimeIndex(pd.to_datetime(list(ts), unit="s", utc=True), name="ts")
                out[symbol] = pd.DataFrame({"close": [float(c) for c in close], "source": list(source)}, index=index)
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
