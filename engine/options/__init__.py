"""Options: Black-Scholes-Merton pricing and Greeks, implied volatility, option-chain analytics (pure functions)."""

from engine.options.bsm import (
    DAYS_PER_YEAR,
    Greeks,
    bsm_greeks,
    bsm_price,
    parity_gap,
    parity_price,
    parse_kind,
    price_bounds,
    years_from_days,
)
from engine.options.iv import VOL_HIGH, VOL_LOW, implied_vol, implied_vols

__all__ = [
    "DAYS_PER_YEAR",
    "VOL_HIGH",
    "VOL_LOW",
    "Greeks",
    "bsm_greeks",
    "bsm_price",
    "implied_vol",
    "implied_vols",
    "parity_gap",
    "parity_price",
    "parse_kind",
    "price_bounds",
    "years_from_days",
]
