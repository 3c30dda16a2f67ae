"""Option chains: a hand-built Yahoo-shaped chain through load_chain, max pain and put-call ratios worked by
hand, implied vols recomputed from mid prices, NSE and offline errors (the network function is stubbed)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.errors import DataError, ProviderOffline, UnknownSymbol
from engine.options import bsm_price
from engine.options import chain as oc

EXPIRY = "2025-01-17"
NOW = pd.Timestamp("2024-12-18 16:00", tz="America/New_York")  # exactly 30 days before the expiry's close


def yahoo_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows of (strike, bid, ask, volume, openInterest, impliedVolatility) in yfinance's column layout."""
    df = pd.DataFrame(rows, columns=["strike", "bid", "ask", "volume", "openInterest", "impliedVolatility"])
    df.insert(0, "contractSymbol", [f"AAPL250117X{int(k * 1000):08d}" for k in df["strike"]])
    df["lastPrice"] = (df["bid"] + df["ask"]) / 2
    df["inTheMoney"] = False
    df["contractSize"], df["currency"] = "REGULAR", "USD"
    return df


CALLS = [(90, 11.0, 11.4, 10, 100, 0.30), (95, 6.9, 7.1, np.nan, 50, 0.28),
         (100, 3.2, 3.4, 50, 200, 0.25), (110, 0.4, 0.5, 40, 300, 0.00001)]
PUTS = [(90, 0.2, 0.3, 30, 300, 0.35), (100, 2.0, 2.2, 20, 150, 0.27), (110, 9.0, 9.6, 5, 50, 0.24)]


def fake_download(calls: list[tuple] = CALLS, puts: list[tuple] = PUTS, spot: float = 101.0):  # noqa: B006
    seen: list[tuple[str, str | None]] = []

    def download(symbol: str, expiry: str | None) -> dict[str, Any]:
        seen.append((symbol, expiry))
        return {"expiries": (EXPIRY, "2025-02-21"), "expiry": expiry or EXPIRY, "calls": yahoo_frame(calls),
                "puts": yahoo_frame(puts), "underlying": {"regularMarketPrice": spot, "currency": "USD"}}

    download.seen = seen  # type: ignore[attr-defined]
    return download


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> oc.OptionChain:
    monkeypatch.setattr(oc, "_download", fake_download())
    return oc.load_chain("aapl")


def test_load_chain_normalises_yahoo_frames(chain: oc.OptionChain) -> None:
    assert (chain.symbol, chain.expiry, chain.spot, chain.currency) == ("AAPL", EXPIRY, 101.0, "USD")
    assert chain.expiries == (EXPIRY, "2025-02-21")
    assert list(chain.calls.columns) == oc.COLUMNS
    assert chain.calls["strike"].tolist() == [90, 95, 100, 110]
    assert chain.calls["volume"].tolist() == [10, 0, 50, 40]  # a missing volume counts as none
    assert chain.calls["mid"].tolist() == pytest.approx([11.2, 7.0, 3.3, 0.45])


def test_max_pain_by_hand(chain: oc.OptionChain) -> None:
    # payout per share × OI at each settlement price (then × 100 shares per contract):
    #   90: calls 0;                       puts 10·150 + 20·50 = 2,500           → 2,500
    #   95: calls 5·100 = 500;             puts 5·150 + 15·50 = 1,500            → 2,000
    #  100: calls 10·100 + 5·50 = 1,250;   puts 10·50 = 500                      → 1,750  ← least
    #  110: calls 20·100 + 15·50 + 10·200 = 4,750; puts 0                        → 4,750
    curve = oc.pain_curve(chain)
    assert curve["settle"].tolist() == [90, 95, 100, 110]
    assert curve["total"].tolist() == [250_000, 200_000, 175_000, 475_000]
    assert curve["calls"].tolist() == [0, 50_000, 125_000, 475_000]
    assert oc.max_pain(chain) == 100.0


def test_put_call_ratios_by_hand(chain: oc.OptionChain) -> None:
    ratios = oc.put_call_ratios(chain)
    assert ratios["open_interest"] == pytest.approx(500 / 650)  # puts 300+150+50, calls 100+50+200+300
    assert ratios["volume"] == pytest.approx(55 / 100)  # puts 30+20+5, calls 10+0+50+40
    summary = oc.chain_summary(chain)
    assert (summary["max_pain"], summary["pcr_volume"], summary["calls"], summary["puts"]) == (100.0, 0.55, 4, 3)


def test_open_interest_and_smile(chain: oc.OptionChain) -> None:
    oi = oc.open_interest(chain)
    assert oi.values.tolist() == [[90, 100, 300], [95, 50, 0], [100, 200, 150], [110, 300, 50]]
    smile = oc.smile(chain)
    assert smile["strike"].tolist() == [90, 95, 100, 110]
    assert smile["call_iv"].iloc[:3].tolist() == [0.30, 0.28, 0.25] and np.isnan(smile["call_iv"].iloc[3])
    assert np.isnan(smile["put_iv"].iloc[1])  # no put at 95


def test_model_iv_recomputed_from_mid_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    years, rate, spot = 30 / 365, 0.045, 101.0
    assert oc.years_to_expiry(EXPIRY, NOW) == pytest.approx(years)
    vols = {90: 0.32, 100: 0.26, 110: 0.23}
    rows = lambda kind: [(k, bsm_price(spot, k, years, rate, v, 0.0, kind), bsm_price(  # noqa: E731
        spot, k, years, rate, v, 0.0, kind), 1, 1, 0.5) for k, v in vols.items()]
    monkeypatch.setattr(oc, "_download", fake_download(rows("call"), rows("put"), spot))
    priced = oc.with_model_iv(oc.load_chain("AAPL"), rate, 0.0, now=NOW)
    assert priced.calls["model_iv"].tolist() == pytest.approx(list(vols.values()), rel=1e-9)
    assert priced.puts["model_iv"].tolist() == pytest.approx(list(vols.values()), rel=1e-9)
    assert oc.smile(priced, "model_iv")["put_iv"].tolist() == pytest.approx(list(vols.values()), rel=1e-9)


def test_model_iv_is_nan_for_a_quote_below_intrinsic(chain: oc.OptionChain) -> None:
    priced = oc.with_model_iv(chain, 0.045, now=NOW)
    # call 90: mid 11.20 < 101 − 90·e^(−0.045·30/365) = 11.33, a stale quote below intrinsic → no IV
    assert np.isnan(priced.calls["model_iv"].iloc[0])
    assert priced.calls["model_iv"].notna().tolist() == [False, True, True, True]
    assert priced.puts["model_iv"].notna().all()


def test_expired_expiry_is_an_error() -> None:
    with pytest.raises(DataError, match="expiry has passed"):
        oc.years_to_expiry(EXPIRY, pd.Timestamp("2025-01-18", tz="UTC"))


@pytest.mark.parametrize("symbol", ["INFY.NS", "RELIANCE.BO", "^NSEI", "^NSEBANK"])
def test_nse_symbols_have_no_chains(monkeypatch: pytest.MonkeyPatch, symbol: str) -> None:
    def never(*_: Any) -> None:
        raise AssertionError("must not ask Yahoo for an NSE chain")

    monkeypatch.setattr(oc, "_download", never)
    assert not oc.chains_available(symbol) and oc.chains_available("AAPL")
    with pytest.raises(DataError, match="not available for NSE from Yahoo"):
        oc.load_chain(symbol)


def test_offline_and_unknown_symbol(monkeypatch: pytest.MonkeyPatch) -> None:
    class DNSError(OSError):  # what curl_cffi raises when the host does not resolve
        pass

    def offline(*_: Any) -> None:
        raise DNSError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr(oc, "_download", offline)
    with pytest.raises(ProviderOffline, match="cannot reach Yahoo Finance"):
        oc.load_chain("AAPL")
    monkeypatch.setattr(oc, "_download", lambda *_: {"expiries": (), "expiry": None, "calls": None,
                                                      "puts": None, "underlying": {}})
    with pytest.raises(UnknownSymbol, match="lists no options for ZZZZ"):
        oc.load_chain("ZZZZ")


def test_download_picks_the_nearest_expiry_and_rejects_unknown_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    import yfinance

    Options = namedtuple("Options", ["calls", "puts", "underlying"])

    class FakeTicker:
        options = (EXPIRY, "2025-02-21")

        def __init__(self, symbol: str) -> None:
            self.symbol = symbol

        def option_chain(self, date: str) -> Options:
            return Options(yahoo_frame(CALLS), yahoo_frame(PUTS), {"regularMarketPrice": 99.0, "date": date})

    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    got = oc._download("AAPL", None)
    assert got["expiry"] == EXPIRY and got["underlying"]["date"] == EXPIRY and len(got["calls"]) == 4
    assert oc._download("AAPL", "2025-02-21")["underlying"]["date"] == "2025-02-21"
    with pytest.raises(DataError, match="no options expiring 2025-03-21"):
        oc.load_chain("AAPL", "2025-03-21")
