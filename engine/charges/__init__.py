"""Indian exchange charges: the dated NSE/BSE schedule file, order charges and round-trip P&L."""

from engine.charges.model import (
    COMPONENT_LABELS,
    COMPONENTS,
    DEFAULT_BROKERAGE,
    Brokerage,
    IndianCharges,
    TradeCharges,
    trade_charges,
)
from engine.charges.schedule import (
    DEFAULT_SCHEDULE,
    EXCHANGES,
    SEGMENTS,
    ChargesError,
    ChargesSchedule,
    ScheduleError,
    SegmentRates,
    load_schedule,
    parse_schedule,
    segment_rates,
)

__all__ = [
    "COMPONENTS", "COMPONENT_LABELS", "DEFAULT_BROKERAGE", "DEFAULT_SCHEDULE", "EXCHANGES", "SEGMENTS",
    "Brokerage", "ChargesError", "ChargesSchedule", "IndianCharges", "ScheduleError", "SegmentRates",
    "TradeCharges", "load_schedule", "parse_schedule", "segment_rates", "trade_charges",
]
