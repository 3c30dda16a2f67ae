"""Option chains from Yahoo Finance (one network function) and their analytics: IV smile, open interest,
put-call ratios and max pain."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from engine.data.instruments import instrument_for, normalise_symbol
from engine.errors import DataError, QuantdeskError, UnknownSymbol
from engine.options.bsm import DAYS_PER_YEAR
from engine.options.iv import implied_vols

CONTRACT_SIZE = 100  # shares per US-listed equity option contract
EXPIRY_TZ, EXPIRY_CLOSE = "America/New_York", pd.Timedelta(hours=16)  # US options stop trading 16:00 ET
COLUMNS = ["contract", "strike", "last", "bid", "ask", "mid", "volume", "open_interest", "iv", "in_the_money"]
_RAW = {"contractSymbol": "contract", "strike": "strike", "lastPrice": "last", "bid": "bid", "ask": "ask",
        "volume": "volume", "openInterest": "open_interest", "impliedVolatility": "iv", "inTheMoney": "in_the_money"}


def nse_message(symbol: str) -> str:
    return (f"Option chains are not available for NSE from Yahoo ({symbol} has none there); price NSE options "
            "in the Calculator with your broker's quotes")


def chains_available(symbol: str) -> bool:
    """False for NSE/BSE symbols (.NS, .BO, ^NSEI, …), for which Yahoo has no option chains."""
    return instrument_for(symbol).exchange not in {"NSE", "BSE"}


@dataclass(frozen=True)
class OptionChain:
    """One expiry's calls and puts (columns COLUMNS, sorted by strike; iv annualised decimal)."""

    symbol: str
    expiry: str  # YYYY-MM-DD
    expiries: tuple[str, ...]
    spot: float | None
    currency: str
    calls: pd.DataFrame
    puts: pd.DataFrame


def _download(symbol: str, expiry: str | None) -> dict[str, Any]:
    """The only code that touches the network: Yahoo's expiries and one expiry's chain (nearest when None).

    Returns {"expiries": tuple[str, ...], "expiry": str | None, "calls": DataFrame | None,
    "puts": DataFrame | None, "underlying": dict}; raises yfinance/HTTP exceptions as they come.
    """
    import yfinance as yf

    from engine.data.providers.yahoo import _host_resolves  # same offline test as the bar provider

    ticker = yf.Ticker(symbol)
    expiries = tuple(ticker.options)
    if not expiries:
        if not _host_resolves():
            raise ConnectionError("cannot resolve Yahoo Finance's host")
        return {"expiries": (), "expiry": None, "calls": None, "puts": None, "underlying": {}}
    chosen = expiry or expiries[0]
    if chosen not in expiries:
        raise DataError(f"{symbol} has no options expiring {chosen}; expiries: {', '.join(expiries[:8])}…")
    got = ticker.option_chain(chosen)
    return {"expiries": expiries, "expiry": chosen, "calls": got.calls, "puts": got.puts,
            "underlying": dict(got.underlying or {})}


def _frame(raw: pd.DataFrame | None) -> pd.DataFrame:
    """Yahoo's calls/puts frame → COLUMNS: numbers as floats, volume/OI 0 when missing, mid from bid/ask."""
    if raw is None or raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
    df = raw.rename(columns=_RAW).reindex(columns=[c for c in COLUMNS if c != "mid"])
    for col in ("strike", "last", "bid", "ask", "volume", "open_interest", "iv"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df[["volume", "open_interest"]] = df[["volume", "open_interest"]].fillna(0.0)
    two_sided = (df["bid"] > 0) & (df["ask"] >= df["bid"])
    df["mid"] = np.where(two_sided, (df["bid"] + df["ask"]) / 2, df["last"])
    df = df.dropna(subset=["strike"]).sort_values("strike", ignore_index=True)
    return df[COLUMNS]


def load_chain(symbol: str, expiry: str | None = None) -> OptionChain:
    """The option chain of `symbol` for `expiry` (YYYY-MM-DD; the nearest when None).

    Raises DataError for NSE/BSE symbols (see nse_message) and unknown expiries, UnknownSymbol when Yahoo
    lists no options for the symbol, ProviderOffline/TransientProviderError/RateLimited when Yahoo fails.
    """
    from engine.data.providers.yahoo import map_error

    sym = normalise_symbol(symbol)
    if not chains_available(sym):
        raise DataError(nse_message(sym))
    try:
        raw = _download(sym, expiry)
    except QuantdeskError:
        raise
    except Exception as exc:  # every provider failure becomes an engine error
        raise map_error(exc, sym) from exc
    if not raw["expiries"]:
        raise UnknownSymbol(f"Yahoo Finance lists no options for {sym}; check the ticker (chains exist for "
                            "US-listed stocks, ETFs and indices such as AAPL, SPY, ^SPX)")
    calls, puts = _frame(raw["calls"]), _frame(raw["puts"])
    under = raw.get("underlying") or {}
    spot = under.get("regularMarketPrice")
    currency = under.get("currency") or instrument_for(sym).currency
    return OptionChain(sym, raw["expiry"], tuple(raw["expiries"]), float(spot) if spot else None, currency,
                       calls, puts)


def years_to_expiry(expiry: str, now: pd.Timestamp | None = None) -> float:
    """Years (calendar days / 365) from `now` to 16:00 New York time on the expiry date; DataError once past."""
    close = pd.Timestamp(expiry).tz_localize(EXPIRY_TZ) + EXPIRY_CLOSE
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    years = (close - now).total_seconds() / (DAYS_PER_YEAR * 86_400)
    if years <= 0:
        raise DataError(f"the {expiry} expiry has passed; pick a later one")
    return years


def with_model_iv(chain: OptionChain, rate: float, div: float = 0.0, now: pd.Timestamp | None = None) -> OptionChain:
    """The chain with a `model_iv` column: our implied vol from each mid price (NaN where it has none).

    Needs the chain's spot; rate and div are annualised decimals (continuous).
    """
    if chain.spot is None:
        raise DataError(f"Yahoo sent no underlying price for {chain.symbol}; cannot recompute implied vols")
    years = years_to_expiry(chain.expiry, now)

    def add(df: pd.DataFrame, kind: str) -> pd.DataFrame:
        out = df.copy()
        prices = out["mid"].to_numpy(dtype=float)
        ok = np.isfinite(prices) & (prices > 0)
        vols = np.full(len(out), np.nan)
        if ok.any():
            vols[ok] = implied_vols(prices[ok], chain.spot, out["strike"].to_numpy(dtype=float)[ok], years,
                                    rate, div, kind)
        out["model_iv"] = vols
        return out

    return replace(chain, calls=add(chain.calls, "call"), puts=add(chain.puts, "put"))


def smile(chain: OptionChain, column: str = "iv") -> pd.DataFrame:
    """Implied vol by strike: columns strike, call_iv, put_iv (`column` is "iv" (Yahoo's) or "model_iv")."""
    calls = chain.calls[["strike", column]].rename(columns={column: "call_iv"})
    puts = chain.puts[["strike", column]].rename(columns={column: "put_iv"})
    out = calls.merge(puts, on="strike", how="outer").sort_values("strike", ignore_index=True)
    vols = out[["call_iv", "put_iv"]]
    out[["call_iv", "put_iv"]] = vols.where(vols > 1e-3)  # Yahoo reports 0 or ~1e-5 where it has no quote
    return out


def open_interest(chain: OptionChain) -> pd.DataFrame:
    """Open interest by strike: columns strike, calls, puts (contracts)."""
    calls = chain.calls.groupby("strike")["open_interest"].sum().rename("calls")
    puts = chain.puts.groupby("strike")["open_interest"].sum().rename("puts")
    return pd.concat([calls, puts], axis=1).fillna(0.0).sort_index().rename_axis("strike").reset_index()


def put_call_ratios(chain: OptionChain) -> dict[str, float | None]:
    """Put-call ratios {"open_interest": ΣOI puts / ΣOI calls, "volume": Σvol puts / Σvol calls}; None when
    the call side is zero."""
    def ratio(col: str) -> float | None:
        calls, puts = float(chain.calls[col].sum()), float(chain.puts[col].sum())
        return puts / calls if calls > 0 else None

    return {"open_interest": ratio("open_interest"), "volume": ratio("volume")}


def pain_curve(chain: OptionChain, multiplier: float = CONTRACT_SIZE) -> pd.DataFrame:
    """Total payout to option holders if the underlying settles at each listed strike.

    Columns: settle, calls, puts, total — Σ OI·max(settle − K, 0)·multiplier for calls, Σ OI·max(K − settle, 0)
    ·multiplier for puts (currency).
    """
    settle = np.union1d(chain.calls["strike"].to_numpy(float), chain.puts["strike"].to_numpy(float))

    def payout(df: pd.DataFrame, sign: int) -> np.ndarray:
        k, oi = df["strike"].to_numpy(float), df["open_interest"].to_numpy(float)
        return (np.maximum(sign * (settle[:, None] - k[None, :]), 0.0) * oi[None, :]).sum(axis=1) * multiplier

    calls, puts = payout(chain.calls, 1), payout(chain.puts, -1)
    return pd.DataFrame({"settle": settle, "calls": calls, "puts": puts, "total": calls + puts})


def max_pain(chain: OptionChain) -> float | None:
    """The strike at which option holders would collect the least (lowest such strike on a tie); None
    without open interest."""
    curve = pain_curve(chain)
    has_oi = chain.calls["open_interest"].sum() + chain.puts["open_interest"].sum() > 0
    if curve.empty or not has_oi:
        return None
    return float(curve.loc[curve["total"].idxmin(), "settle"])


def chain_summary(chain: OptionChain) -> dict[str, Any]:
    """Headline numbers for a chain (JSON-friendly)."""
    pcr = put_call_ratios(chain)
    pain = max_pain(chain)

    def clean(v: float | None) -> float | None:
        return None if v is None or not math.isfinite(v) else round(v, 6)

    return {"symbol": chain.symbol, "expiry": chain.expiry, "expiries": list(chain.expiries), "spot": chain.spot,
            "currency": chain.currency, "calls": len(chain.calls), "puts": len(chain.puts),
            "pcr_open_interest": clean(pcr["open_interest"]), "pcr_volume": clean(pcr["volume"]), "max_pain": pain}
