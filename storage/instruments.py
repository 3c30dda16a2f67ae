"""Instrument queries."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.models import Instrument


@dataclass(frozen=True)
class InstrumentInfo:
    symbol: str
    name: str = ""
    exchange: str = ""
    currency: str = ""
    timezone: str = "UTC"
    sector: str = ""
    asset_class: str = "equity"
    lot_size: int = 1


def upsert_instrument(session: Session, info: InstrumentInfo) -> None:
    """Insert or update one instrument row (empty fields never overwrite known values)."""
    row = session.get(Instrument, info.symbol)
    if row is None:
        session.add(Instrument(**asdict(info)))
        return
    for key, value in asdict(info).items():
        if value not in ("", None):
            setattr(row, key, value)


def get_instrument(engine: Engine, symbol: str) -> InstrumentInfo | None:
    with Session(engine) as session:
        row = session.get(Instrument, symbol)
        return _info(row) if row else None


def list_instruments(engine: Engine) -> list[InstrumentInfo]:
    with Session(engine) as session:
        return [_info(r) for r in session.scalars(select(Instrument).order_by(Instrument.symbol))]


def _info(row: Instrument) -> InstrumentInfo:
    return InstrumentInfo(
        symbol=row.symbol, name=row.name, exchange=row.exchange, currency=row.currency,
        timezone=row.timezone, sector=row.sector, asset_class=row.asset_class, lot_size=row.lot_size,
    )
