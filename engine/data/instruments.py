"""Static instrument metadata: the default watchlist plus suffix rules for any Yahoo-style symbol."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import DataError

_SYMBOL_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9&._=\-]{0,30}$")

NSE_HOURS = ("XBOM", "Asia/Kolkata")
US_HOURS = ("XNYS", "America/New_York")
CRYPTO = "24/7"


@dataclass(frozen=True)
class InstrumentMeta:
    """What Quantdesk knows about a symbol without asking a provider.

    `calendar` is an exchange_calendars code (XBOM serves both NSE and BSE) or "24/7";
    `demo_price` (in `currency`) and `demo_volume` (units per day) set the level of demo data.
    """

    symbol: str
    name: str
    exchange: str
    currency: str
    timezone: str
    calendar: str
    sector: str = ""
    asset_class: str = "equity"  # equity | index | crypto
    lot_size: int = 1  # cash-market quantity step (whole shares)
    demo_price: float = 100.0
    demo_volume: float = 1e6

    @property
    def periods_per_year(self) -> int:
        """Annualisation factor for daily returns: 365 for crypto, 252 otherwise."""
        return 365 if self.asset_class == "crypto" else 252


# symbol: (name, sector, exchange, demo price, demo daily volume)
_KNOWN: dict[str, tuple[str, str, str, float, float]] = {
    "RELIANCE.NS": ("Reliance Industries", "Energy", "NSE", 2500.0, 7e6),
    "TCS.NS": ("Tata Consultancy Services", "Information Technology", "NSE", 3800.0, 2e6),
    "INFY.NS": ("Infosys", "Information Technology", "NSE", 1500.0, 6e6),
    "HDFCBANK.NS": ("HDFC Bank", "Financial Services", "NSE", 1600.0, 1.5e7),
    "ICICIBANK.NS": ("ICICI Bank", "Financial Services", "NSE", 1100.0, 1.5e7),
    "SBIN.NS": ("State Bank of India", "Financial Services", "NSE", 750.0, 1.5e7),
    "^NSEI": ("NIFTY 50", "Index", "NSE", 22000.0, 3e5),
    "^NSEBANK": ("NIFTY Bank", "Index", "NSE", 48000.0, 2e5),
    "^BSESN": ("S&P BSE SENSEX", "Index", "BSE", 73000.0, 1e4),
    "AAPL": ("Apple Inc.", "Technology", "NASDAQ", 190.0, 5.5e7),
    "MSFT": ("Microsoft Corporation", "Technology", "NASDAQ", 410.0, 2.2e7),
    "GOOG": ("Alphabet Inc. Class C", "Communication Services", "NASDAQ", 170.0, 2e7),
    "JPM": ("JPMorgan Chase & Co.", "Financial Services", "NYSE", 200.0, 9e6),
    "SPY": ("SPDR S&P 500 ETF Trust", "ETF", "NYSE", 520.0, 6e7),
    "^GSPC": ("S&P 500", "Index", "US", 5200.0, 4e9),
    "BTC-USD": ("Bitcoin USD", "Crypto", "CCC", 60000.0, 3e10),
    "ETH-USD": ("Ethereum USD", "Crypto", "CCC", 3000.0, 1.5e10),
}


def normalise_symbol(text: str) -> str:
    """Upper-case, trimmed Yahoo-style symbol; raises DataError if it cannot be a ticker."""
    symbol = str(text).strip().upper()
    if not _SYMBOL_RE.match(symbol):
        raise DataError(
            f"{text!r} is not a valid symbol; use Yahoo-style tickers such as INFY.NS, ^NSEI, AAPL or BTC-USD"
        )
    return symbol


def _demo_level(symbol: str, lo: float, hi: float) -> float:
    """A stable pseudo-random price level in [lo, hi] (log-uniform) for symbols we know nothing about."""
    import zlib

    u = (zlib.crc32(symbol.encode()) % 10_000) / 10_000
    return float(round(lo * (hi / lo) ** u, 2))


def instrument_for(symbol: str) -> InstrumentMeta:
    """Metadata for `symbol` from the static table, else from its suffix; raises DataError if malformed.

    Rules: `.NS`/`.BO` → NSE/BSE in INR on Asia/Kolkata (calendar XBOM); `^NSE*`/`^BSESN` → Indian
    indices; `-USD`/`-USDT` → crypto trading 24/7 in UTC; other `^…` → US index; plain tickers →
    US equities (NYSE/NASDAQ, USD, America/New_York, calendar XNYS).
    """
    symbol = normalise_symbol(symbol)
    known = _KNOWN.get(symbol)
    if symbol.endswith((".NS", ".BO")) or (known and known[2] in {"NSE", "BSE"}) or symbol.startswith("^NSE"):
        exchange = "BSE" if symbol.endswith(".BO") or symbol == "^BSESN" else "NSE"
        is_index = symbol.startswith("^")
        name, sector, _, price, volume = known or (symbol.split(".")[0], "", exchange,
                                                    _demo_level(symbol, 80, 5000), 2e6)
        return InstrumentMeta(symbol, name, exchange, "INR", NSE_HOURS[1], NSE_HOURS[0], sector,
                              "index" if is_index else "equity", 1, price, volume)
    if symbol.endswith(("-USD", "-USDT")):
        name, sector, _, price, volume = known or (symbol, "Crypto", "CCC", _demo_level(symbol, 0.5, 500), 1e8)
        return InstrumentMeta(symbol, name, "CCC", "USD", "UTC", CRYPTO, sector, "crypto", 1, price, volume)
    if symbol.startswith("^"):
        name, sector, _, price, volume = known or (symbol, "Index", "US", _demo_level(symbol, 1000, 20000), 1e9)
        return InstrumentMeta(symbol, name, "US", "USD", US_HOURS[1], US_HOURS[0], sector, "index", 1,
                              price, volume)
    name, sector, exchange, price, volume = known or (symbol, "", "NYSE/NASDAQ", _demo_level(symbol, 10, 500), 5e6)
    return InstrumentMeta(symbol, name, exchange, "USD", US_HOURS[1], US_HOURS[0], sector, "equity", 1,
                          price, volume)


def known_symbols() -> tuple[str, ...]:
    """Symbols with hand-written metadata (names, sectors, demo price levels)."""
    return tuple(_KNOWN)
