"""Validation finds each crafted defect; repair fixes what can be fixed and reports the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.providers.base import Provider
from engine.data.providers.demo import generate_demo_bars
from engine.data.validate import repair_bars, validate_bars, validate_symbols
from engine.errors import DataError, TransientProviderError
from storage.candles import load_candles, upsert_candles
from storage.db import transaction

NOW = pd.Timestamp("2024-03-28 12:00", tz="UTC")


@pytest.fixture
def clean() -> pd.DataFrame:
    return generate_demo_bars("INFY.NS", start="2024-01-01", now=NOW)


def kinds(report) -> dict[str, int]:
    return report.counts()


def test_clean_bars_have_no_issues(clean):
    report = validate_bars(clean, "INFY.NS")
    assert report.issues == [] and report.ok and report.bars == len(clean)


def test_each_crafted_defect_is_found(clean):
    bars = clean.copy()
    ts = bars.index
    bars.loc[ts[3], "close"] = np.nan                                   # nan
    bars.loc[ts[5], "low"] = -1.0                                       # non_positive
    bars.loc[ts[7], "high"] = bars.loc[ts[7], "close"] * 0.9            # ohlc_inconsistent
    bars = bars.drop(ts[10])                                            # gap (one session)
    bars = bars.drop(ts[20:23])                                         # gap (three sessions)
    saturday = pd.Timestamp("2024-02-03", tz="UTC")
    bars.loc[saturday] = bars.loc[ts[24]].to_numpy()                    # non_session_bar
    bars = pd.concat([bars, bars.loc[[ts[30]]]])                        # duplicate_ts
    split_from = ts[40]
    for col in ("open", "high", "low", "close"):                        # 1:2 split in traded prices only
        bars.loc[bars.index >= split_from, col] /= 2
    report = validate_bars(bars, "INFY.NS")                             # unsorted (saturday appended)
    assert kinds(report) == {"unsorted": 1, "duplicate_ts": 1, "nan": 1, "non_positive": 1,
                             "ohlc_inconsistent": 1, "non_session_bar": 1, "split_like_jump": 1, "gap": 2}
    by_kind = {i.kind: i for i in report.issues}
    assert by_kind["split_like_jump"].ts == split_from and not by_kind["split_like_jump"].fixable
    assert by_kind["non_session_bar"].ts == saturday
    gaps = sorted(i.ts for i in report.issues if i.kind == "gap")
    assert gaps == [ts[10], ts[20]]
    assert "3 session(s) missing" in [i.message for i in report.issues if i.ts == ts[20]][0]
    assert all(i.fixable for i in report.issues if i.kind not in ("gap", "split_like_jump"))


def test_a_real_crash_with_matching_adj_close_is_not_split_like(clean):
    bars = clean.copy()
    cut = bars.index >= bars.index[40]
    for col in ("open", "high", "low", "close", "adj_close"):
        bars.loc[cut, col] *= 0.5
    assert validate_bars(bars, "INFY.NS").issues == []


def test_repair_fixes_what_it_can_and_reports_the_rest(clean):
    bars = clean.copy()
    ts = bars.index
    bars.loc[ts[3], "open"] = np.nan
    bars.loc[ts[5], "close"] = 0.0
    bars.loc[ts[7], "low"] = bars.loc[ts[7], "open"] * 1.01
    bars = bars.drop(ts[12])
    bars.loc[pd.Timestamp("2024-01-26", tz="UTC")] = bars.loc[ts[15]].to_numpy()  # Republic Day
    bars = pd.concat([bars.iloc[::-1], bars.loc[[ts[30]]] * 1.001])  # unsorted; the revision comes last
    report = validate_bars(bars, "INFY.NS")
    repaired, remaining = repair_bars(bars, report)
    assert repaired.index.is_monotonic_increasing and repaired.index.is_unique
    assert ts[3] not in repaired.index and ts[5] not in repaired.index
    assert pd.Timestamp("2024-01-26", tz="UTC") not in repaired.index
    row = repaired.loc[ts[7]]
    assert row["low"] == min(row["open"], row["close"], row["low"]) and row["low"] <= row["open"]
    assert (repaired["high"] >= repaired[["open", "close", "low"]].max(axis=1)).all()
    assert repaired.loc[ts[30], "close"] == pytest.approx(clean.loc[ts[30], "close"] * 1.001)  # last kept
    # the dropped NaN / zero rows and the missing session are now gaps: reported, not invented
    assert {i.kind for i in remaining} == {"gap"}
    assert len(repaired) == len(clean) - 3


def test_intraday_bars_on_a_holiday_are_flagged():
    bars = generate_demo_bars("INFY.NS", "15m", now=pd.Timestamp("2024-01-31 12:00", tz="UTC"))
    stray = bars.iloc[:2].copy()
    stray.index = [pd.Timestamp("2024-01-26 04:00", tz="UTC"), pd.Timestamp("2024-01-26 04:15", tz="UTC")]
    report = validate_bars(pd.concat([bars, stray]).sort_index(), "INFY.NS", "15m")
    assert kinds(report) == {"non_session_bar": 2}


class GapFiller(Provider):
    name = "yfinance"

    def __init__(self, world: pd.DataFrame, fail: bool = False) -> None:
        self.world, self.fail, self.calls = world, fail, []

    def fetch(self, symbol, interval="1d", start=None, end=None, period=None):
        self.calls.append((symbol, start, end))
        if self.fail:
            raise TransientProviderError("try later")
        w = self.world
        return w[(w.index >= pd.Timestamp(start)) & (w.index < pd.Timestamp(end))]


def _store(db_engine, bars, source="yfinance"):
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", bars, source)


def test_validate_symbols_fix_writes_repairs_and_refills_gaps(db_engine, clean):
    stored = clean.drop(clean.index[[10, 11]])
    stray = stored.iloc[[5]].copy()
    stray.index = [pd.Timestamp("2024-02-03", tz="UTC")]  # a Saturday
    _store(db_engine, pd.concat([stored, stray]).sort_index())
    before = validate_symbols(db_engine, ["INFY.NS"])[0]
    assert kinds(before) == {"non_session_bar": 1, "gap": 1} and before.remaining is None
    provider = GapFiller(clean)
    report = validate_symbols(db_engine, ["INFY.NS"], fix=True, provider=provider)[0]
    assert report.fixed == 1 and report.refilled == 2 and report.remaining == []
    after = load_candles(db_engine, "INFY.NS")
    assert after.index.equals(clean.index)
    assert set(after["source"]) == {"yfinance"}
    np.testing.assert_allclose(after.loc[clean.index[10:12], "close"], clean.loc[clean.index[10:12], "close"])
    assert validate_symbols(db_engine)[0].ok  # all stored symbols by default


def test_fix_without_provider_keeps_gaps_and_provider_failure_is_noted(db_engine, clean):
    _store(db_engine, clean.drop(clean.index[10]))
    report = validate_symbols(db_engine, ["INFY.NS"], fix=True, provider=GapFiller(clean, fail=True))[0]
    assert [i.kind for i in report.remaining] == ["gap"]
    assert report.refilled == 0 and "try later" in report.notes[0]
    assert len(load_candles(db_engine, "INFY.NS")) == len(clean) - 1


def test_real_provider_never_refills_demo_data(db_engine, clean):
    _store(db_engine, clean.drop(clean.index[10]), source="demo")
    provider = GapFiller(clean)
    report = validate_symbols(db_engine, ["INFY.NS"], fix=True, provider=provider)[0]
    assert provider.calls == [] and "not mixed" in report.notes[0]
    assert set(load_candles(db_engine, "INFY.NS")["source"]) == {"demo"}


def test_validating_an_unknown_symbol_is_a_data_error(db_engine):
    with pytest.raises(DataError, match="no 1d bars stored for TCS.NS"):
        validate_symbols(db_engine, ["TCS.NS"])
