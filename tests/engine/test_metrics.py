"""engine.metrics against quantstats and empyrical on real GOOG prices, hand-worked cases and edge cases."""

from __future__ import annotations

import math

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import quantstats as qs
import scipy.stats
from backtesting._stats import compute_drawdown_duration_peaks
from backtesting.test import EURUSD
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import metrics as m
from engine.errors import DataError, ParameterError

REL = 1e-9
PPYS = [252, 365]


def naive(series: pd.Series) -> pd.Series:
    """quantstats wants tz-naive indexes; our data is UTC-aware."""
    out = series.copy()
    out.index = out.index.tz_localize(None)
    return out


def rf_per_period(rf: float, ppy: int) -> float:
    return (1 + rf) ** (1 / ppy) - 1


@pytest.fixture(scope="module")
def equity(goog: pd.DataFrame) -> pd.Series:
    return goog["close"].rename("equity")


@pytest.fixture(scope="module")
def rets(equity: pd.Series) -> pd.Series:
    return naive(m.returns_from_equity(equity))


@pytest.fixture(scope="module", params=["goog_open", "eurusd"])
def benchmark(request: pytest.FixtureRequest, goog: pd.DataFrame) -> pd.Series:
    """Benchmark prices: GOOG's opens (correlated) or real EURUSD closes laid on GOOG's dates (unrelated)."""
    if request.param == "goog_open":
        return goog["open"]
    return pd.Series(EURUSD["Close"].to_numpy()[: len(goog)], index=goog.index)


# --- against the reference libraries ------------------------------------------------------------


def test_returns_and_total_return_match_references(equity: pd.Series, rets: pd.Series) -> None:
    expected = naive(equity).pct_change().iloc[1:]
    pd.testing.assert_series_equal(rets, expected, check_names=False, rtol=1e-12)
    assert m.total_return(equity) == pytest.approx(ep.cum_returns_final(rets), rel=REL)
    assert m.total_return(equity) == pytest.approx(qs.stats.comp(rets), rel=REL)


@pytest.mark.parametrize("ppy", PPYS)
def test_cagr_and_volatility_match_references(equity: pd.Series, rets: pd.Series, ppy: int) -> None:
    assert m.cagr(equity, ppy) == pytest.approx(ep.annual_return(rets, annualization=ppy), rel=REL)
    assert m.cagr(equity, ppy) == pytest.approx(qs.stats.cagr(rets, periods=ppy), rel=REL)
    vol = m.annual_volatility(rets, ppy)
    assert vol == pytest.approx(ep.annual_volatility(rets, annualization=ppy), rel=REL)
    assert vol == pytest.approx(qs.stats.volatility(rets, periods=ppy), rel=REL)


@pytest.mark.parametrize("ppy", PPYS)
@pytest.mark.parametrize("rf", [0.0, 0.05])
def test_sharpe_and_sortino_match_references(rets: pd.Series, ppy: int, rf: float) -> None:
    rf_p = rf_per_period(rf, ppy)
    sharpe = m.sharpe(rets, ppy, rf)
    assert sharpe == pytest.approx(ep.sharpe_ratio(rets, risk_free=rf_p, annualization=ppy), rel=REL)
    assert sharpe == pytest.approx(qs.stats.sharpe(rets, rf=rf, periods=ppy), rel=REL)
    sortino = m.sortino(rets, ppy, rf)
    assert sortino == pytest.approx(ep.sortino_ratio(rets, required_return=rf_p, annualization=ppy), rel=REL)
    assert sortino == pytest.approx(qs.stats.sortino(rets, rf=rf, periods=ppy), rel=REL)
    downside = ep.downside_risk(rets, required_return=rf_p, annualization=ppy)
    assert m.downside_risk(rets, ppy, rf) == pytest.approx(downside, rel=REL)
    if rf:  # the risk-free rate must actually move the figures
        assert sharpe < m.sharpe(rets, ppy) and sortino < m.sortino(rets, ppy)


def test_drawdowns_match_references(equity: pd.Series, rets: pd.Series) -> None:
    mdd = m.max_drawdown(equity)
    assert mdd == pytest.approx(ep.max_drawdown(rets), rel=REL)
    assert mdd == pytest.approx(qs.stats.max_drawdown(rets), rel=REL)
    assert mdd == pytest.approx(qs.stats.max_drawdown(naive(equity)), rel=REL)
    ours = naive(m.drawdown_series(equity))
    assert ours.iloc[0] == 0.0
    np.testing.assert_allclose(ours.iloc[1:], ep.stats.drawdown_series(rets), rtol=REL, atol=1e-12)
    np.testing.assert_allclose(ours.iloc[1:], qs.stats.to_drawdown_series(rets), rtol=REL, atol=1e-12)


@pytest.mark.parametrize("ppy", PPYS)
def test_calmar_matches_references(equity: pd.Series, rets: pd.Series, ppy: int) -> None:
    assert m.calmar(equity, ppy) == pytest.approx(ep.calmar_ratio(rets, annualization=ppy), rel=REL)
    assert m.calmar(equity, ppy) == pytest.approx(qs.stats.calmar(rets, periods=ppy), rel=REL)


def test_drawdown_duration_matches_backtesting_py(equity: pd.Series) -> None:
    longest = m.max_drawdown_duration(equity)
    durations, _ = compute_drawdown_duration_peaks(m.drawdown_series(equity))
    assert longest.days == durations.max().total_seconds() / 86400
    assert longest.recovered and longest.bars == equity.index.get_loc(longest.end) - equity.index.get_loc(
        longest.peak
    )
    assert equity[longest.end] >= equity[longest.peak] > equity[longest.peak:longest.end].iloc[1:-1].max()


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_var_and_cvar_match_references(rets: pd.Series, level: float) -> None:
    cutoff = 1 - level
    hist_var = m.value_at_risk(rets, level)
    assert hist_var == pytest.approx(ep.value_at_risk(rets, cutoff=cutoff), rel=REL)
    par_var = m.value_at_risk(rets, level, method="parametric")
    assert par_var == pytest.approx(qs.stats.value_at_risk(rets, confidence=level), rel=REL)
    hist_cvar = m.cvar(rets, level)
    assert hist_cvar == pytest.approx(qs.stats.cvar(rets, confidence=level, method="historical"), rel=REL)
    assert hist_cvar == pytest.approx(ep.conditional_value_at_risk(rets, cutoff=cutoff), rel=REL)
    par_cvar = m.cvar(rets, level, method="parametric")
    assert par_cvar == pytest.approx(qs.stats.cvar(rets, confidence=level, method="parametric"), rel=REL)
    assert hist_cvar < hist_var < 0 and par_cvar < par_var < 0


def test_var_and_cvar_hand_checked() -> None:
    r = pd.Series([0.02, -0.05, 0.0, -0.01, -0.03])
    # level 0.75: the 25 % quantile sits exactly on the 2nd lowest return, which belongs to the tail
    assert m.value_at_risk(r, 0.75) == pytest.approx(-0.03)
    assert m.cvar(r, 0.75) == pytest.approx(-0.04)
    assert m.cvar(r, 0.75) == pytest.approx(ep.conditional_value_at_risk(r, cutoff=0.25))
    mu, sd = r.mean(), r.std(ddof=1)
    assert m.value_at_risk(r, 0.95, "parametric") == pytest.approx(mu - 1.6448536269514722 * sd, rel=1e-12)


def test_skew_and_kurtosis_match_references(rets: pd.Series) -> None:
    assert m.skew(rets) == pytest.approx(qs.stats.skew(rets), rel=REL)
    assert m.skew(rets) == pytest.approx(scipy.stats.skew(rets, bias=False), rel=REL)
    assert m.kurtosis(rets) == pytest.approx(qs.stats.kurtosis(rets), rel=REL)
    assert m.kurtosis(rets) == pytest.approx(scipy.stats.kurtosis(rets, fisher=True, bias=False), rel=REL)


@pytest.mark.parametrize("ppy", PPYS)
@pytest.mark.parametrize("rf", [0.0, 0.05])
def test_alpha_beta_match_references(rets: pd.Series, benchmark: pd.Series, ppy: int, rf: float) -> None:
    bench = naive(m.returns_from_equity(benchmark))
    alpha, beta = m.alpha_beta(rets, bench, ppy, rf)
    ep_alpha, ep_beta = ep.alpha_beta(rets, bench, risk_free=rf_per_period(rf, ppy), annualization=ppy)
    assert alpha == pytest.approx(ep_alpha, rel=REL)
    assert beta == pytest.approx(ep_beta, rel=REL)
    # quantstats' greeks annualise alpha arithmetically (mean × periods), so only its beta is comparable
    assert beta == pytest.approx(qs.stats.greeks(rets, bench, periods=ppy)["beta"], rel=REL)


def test_alpha_beta_uses_only_shared_bars(rets: pd.Series, goog: pd.DataFrame) -> None:
    bench = naive(m.returns_from_equity(goog["open"]))
    gappy = bench.drop(bench.index[::7])
    ours = m.alpha_beta(rets, gappy)
    ep_alpha, ep_beta = ep.alpha_beta(rets.loc[gappy.index], gappy)
    assert ours == pytest.approx((ep_alpha, ep_beta), rel=REL)


def test_monthly_and_yearly_match_quantstats(equity: pd.Series, rets: pd.Series) -> None:
    table = m.monthly_returns_table(equity)
    ref = qs.stats.monthly_returns(rets)
    assert list(table.index) == [int(y) for y in ref.index]
    assert list(table.columns) == [*m.MONTHS, "Year"]
    np.testing.assert_allclose(table.fillna(0).to_numpy(), ref.to_numpy(), rtol=REL, atol=1e-12)
    assert table.loc[2004, "Jan"] != table.loc[2004, "Jan"]  # GOOG listed in August 2004: NaN, not 0
    yearly = m.yearly_returns(equity)
    np.testing.assert_allclose(yearly.to_numpy(), ep.aggregate_returns(rets, "yearly").to_numpy(), rtol=REL)


# --- hand-worked cases ---------------------------------------------------------------------------


def _utc(*dates: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(dates, tz="UTC", name="ts")


def test_monthly_table_hand_checked() -> None:
    idx = _utc("2023-01-02", "2023-01-16", "2023-01-31", "2023-02-15", "2023-04-10", "2024-01-05")
    equity = pd.Series([100.0, 120.0, 110.0, 99.0, 108.9, 98.01], index=idx)
    table = m.monthly_returns_table(equity)
    assert list(table.index) == [2023, 2024]
    assert table.loc[2023, "Jan"] == pytest.approx(0.10)  # (1.20)(110/120) - 1, compounded inside the month
    assert table.loc[2023, "Feb"] == pytest.approx(-0.10)
    assert math.isnan(table.loc[2023, "Mar"])
    assert table.loc[2023, "Apr"] == pytest.approx(0.10)  # spans the empty March
    assert table.loc[2023, "Year"] == pytest.approx(0.089)
    assert table.loc[2024, "Jan"] == pytest.approx(-0.10)
    assert table.loc[2024, "Year"] == pytest.approx(-0.10)
    assert table.loc[2024].drop(["Jan", "Year"]).isna().all()
    assert m.yearly_returns(equity).to_dict() == pytest.approx({2023: 0.089, 2024: -0.10})


def test_drawdown_duration_hand_checked() -> None:
    idx = _utc("2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06", "2024-01-10", "2024-01-11", "2024-01-20")
    recovered = pd.Series([100.0, 110.0, 99.0, 105.0, 110.0, 120.0, 115.0], index=idx)
    d = m.max_drawdown_duration(recovered)
    # 110 (Jan 2) is regained on Jan 10, equal counts as recovered: 3 bars, 8 days. The unrecovered
    # dip from 120 (Jan 11) to the last bar (Jan 20) is 1 bar but 9 days, so it is the longest.
    assert (d.bars, d.days, d.recovered) == (1, 9.0, False)
    assert d.peak == idx[5] and d.end == idx[6]
    by_bars = pd.Series([100.0, 110.0, 99.0, 105.0, 110.0, 120.0, 119.0], index=pd.RangeIndex(7))
    d2 = m.max_drawdown_duration(by_bars)
    assert (d2.bars, d2.peak, d2.end, d2.recovered) == (3, 1, 4, True) and math.isnan(d2.days)
    assert m.max_drawdown(recovered) == pytest.approx(99 / 110 - 1)


def test_drawdown_series_is_causal(equity: pd.Series) -> None:
    full = m.drawdown_series(equity)
    cut = m.drawdown_series(equity.iloc[:700])
    pd.testing.assert_series_equal(full.iloc[:700], cut)


@pytest.fixture
def trades() -> pd.DataFrame:
    entry = pd.date_range("2024-01-01", periods=5, freq="7D", tz="UTC")
    return pd.DataFrame(
        {
            "pnl": [100.0, -50.0, 200.0, 0.0, -25.0],
            "pnl_pct": [0.10, -0.05, 0.20, 0.0, -0.025],
            "entry_time": entry,
            "exit_time": entry + pd.Timedelta(days=3),
            "bars_held": [5, 3, 10, 2, 4],
        }
    )


def test_trade_stats_hand_checked(trades: pd.DataFrame) -> None:
    assert m.n_trades(trades) == 5
    assert m.win_rate(trades) == pytest.approx(0.4)  # the break-even trade is not a win
    assert m.profit_factor(trades) == pytest.approx(300 / 75)
    assert m.expectancy(trades) == pytest.approx(45.0)
    assert m.avg_win(trades) == pytest.approx(150.0)
    assert m.avg_loss(trades) == pytest.approx(-37.5)
    assert m.best_trade(trades) == pytest.approx(0.20)
    assert m.worst_trade(trades) == pytest.approx(-0.05)
    assert m.avg_bars_held(trades) == pytest.approx(4.8)


def test_profit_factor_edges(trades: pd.DataFrame) -> None:
    assert m.profit_factor(trades[trades.pnl > 0]) == math.inf
    assert m.profit_factor(trades[trades.pnl < 0]) == 0.0
    assert math.isnan(m.profit_factor(trades[trades.pnl == 0]))
    assert math.isnan(m.profit_factor(trades.iloc[:0]))
    assert math.isnan(m.avg_loss(trades[trades.pnl > 0]))


def test_bad_trades_frames_raise(trades: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="missing column 'pnl'"):
        m.win_rate(trades.drop(columns="pnl"))
    broken = trades.assign(pnl=[1.0, np.nan, 2.0, 3.0, 4.0])
    with pytest.raises(DataError, match="missing values"):
        m.expectancy(broken)


# --- compute_stats and edge cases ----------------------------------------------------------------


def test_compute_stats_on_goog(equity: pd.Series, trades: pd.DataFrame, goog: pd.DataFrame) -> None:
    stats = m.compute_stats(equity, trades, goog["open"], periods_per_year=252, rf=0.05, exposure=0.93)
    assert list(stats) == list(m.METRIC_CONVENTIONS)
    rets = m.returns_from_equity(equity)
    assert stats["start"] == equity.index[0] and stats["end"] == equity.index[-1]
    assert stats["duration_days"] == (equity.index[-1] - equity.index[0]).days
    assert (stats["initial_equity"], stats["final_equity"]) == (equity.iloc[0], equity.iloc[-1])
    assert stats["sharpe"] == m.sharpe(rets, 252, 0.05)
    assert stats["sortino"] == m.sortino(rets, 252, 0.05)
    assert stats["calmar"] == m.calmar(equity)
    assert stats["var_95"] == m.value_at_risk(rets) and stats["cvar_95"] == m.cvar(rets)
    assert stats["max_drawdown_duration_days"] == m.max_drawdown_duration(equity).days
    assert (stats["alpha"], stats["beta"]) == m.alpha_beta(rets, m.returns_from_equity(goog["open"]), 252, 0.05)
    assert 0.2 < stats["beta"] < 1.0  # close-to-close against open-to-open returns of the same stock
    assert stats["exposure"] == 0.93 and stats["n_trades"] == 5 and stats["profit_factor"] == 4.0


def test_conventions_are_one_line_each() -> None:
    for key, text in m.METRIC_CONVENTIONS.items():
        assert text and "\n" not in text and len(text) < 220, key
    assert "√periods" in m.METRIC_CONVENTIONS["sharpe"] and "ALL periods" in m.METRIC_CONVENTIONS["sortino"]


@pytest.mark.parametrize("bad", [pd.Series(dtype=float), pd.Series([np.nan, np.nan])])
def test_empty_equity_raises(bad: pd.Series) -> None:
    with pytest.raises(DataError, match="empty"):
        m.compute_stats(bad)


def test_flat_equity_gives_nan_ratios_not_inf() -> None:
    flat = pd.Series(1000.0, index=pd.date_range("2024-01-01", periods=30, tz="UTC"))
    with_rf = m.compute_stats(flat, rf=0.05)
    assert math.isnan(with_rf["sharpe"])  # constant excess return: zero dispersion
    # every period trails the risk-free rate, so the downside is real and Sortino is finite and negative
    zeros = naive(m.returns_from_equity(flat))
    assert with_rf["sortino"] == pytest.approx(ep.sortino_ratio(zeros, required_return=rf_per_period(0.05, 252)))
    assert with_rf["sortino"] < 0
    stats = m.compute_stats(flat)
    assert all(not isinstance(v, float) or not math.isinf(v) for v in [*stats.values(), *with_rf.values()])
    assert math.isnan(stats["sharpe"]) and math.isnan(stats["sortino"]) and math.isnan(stats["calmar"])
    assert (stats["total_return"], stats["cagr"], stats["annual_volatility"]) == (0.0, 0.0, 0.0)
    assert (stats["max_drawdown"], stats["max_drawdown_duration_days"]) == (0.0, 0.0)
    assert math.isnan(stats["skew"]) and math.isnan(stats["kurtosis"])


def test_one_bar_and_no_trades() -> None:
    one = pd.Series([500.0], index=_utc("2024-03-01"))
    stats = m.compute_stats(one)
    assert stats["total_return"] == 0.0 and stats["max_drawdown"] == 0.0 and stats["duration_days"] == 0.0
    for key in ("cagr", "annual_volatility", "sharpe", "sortino", "var_95", "cvar_95", "alpha", "win_rate"):
        assert math.isnan(stats[key]), key
    assert stats["n_trades"] == 0
    assert m.compute_stats(one, pd.DataFrame())["n_trades"] == 0


def test_nans_inside_equity_are_skipped(equity: pd.Series) -> None:
    holed = equity.copy()
    holed.iloc[[0, 10, 11, 500]] = np.nan
    stats = m.compute_stats(holed)
    clean = m.compute_stats(equity.drop(equity.index[[0, 10, 11, 500]]))
    assert stats.keys() == clean.keys() and stats["start"] == equity.index[1]
    for key, value in clean.items():
        if isinstance(value, float):
            assert stats[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key
    assert stats["total_return"] == pytest.approx(equity.iloc[-1] / equity.iloc[1] - 1)


def test_invalid_inputs_raise_clear_errors(equity: pd.Series) -> None:
    with pytest.raises(DataError, match="above zero"):
        m.returns_from_equity(pd.Series([100.0, 0.0, 50.0]))
    with pytest.raises(DataError, match="ascending"):
        m.compute_stats(equity.iloc[::-1])
    with pytest.raises(DataError, match="Series"):
        m.compute_stats(equity.to_frame())
    with pytest.raises(DataError, match="DatetimeIndex"):
        m.monthly_returns_table(equity.reset_index(drop=True))
    with pytest.raises(DataError, match="tz-aware and naive"):
        m.alpha_beta(m.returns_from_equity(equity), naive(m.returns_from_equity(equity)))
    with pytest.raises(ParameterError, match="did you mean 'historical'"):
        m.value_at_risk(m.returns_from_equity(equity), method="historic")
    with pytest.raises(ParameterError, match="level"):
        m.cvar(m.returns_from_equity(equity), level=95)
    with pytest.raises(ParameterError, match="periods_per_year"):
        m.sharpe(m.returns_from_equity(equity), periods_per_year=0)
    with pytest.raises(ParameterError, match="rf"):
        m.compute_stats(equity, rf=-1.0)
    with pytest.raises(ParameterError, match="exposure"):
        m.compute_stats(equity, exposure=1.5)


def test_sortino_without_downside_is_nan() -> None:
    rising = pd.Series([0.01, 0.02, 0.005, 0.03])
    assert math.isnan(m.sortino(rising)) and m.sharpe(rising) > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("BTC-USD", 365), ("eth-usdt", 365), ("SOL/USDC", 365), ("crypto", 365), ("AAPL", 252),
     ("INFY.NS", 252), ("^NSEI", 252), ("BRK-B", 252), ("equity", 252), ("EURUSD=X", 252)],
)
def test_periods_per_year_for(text: str, expected: int) -> None:
    assert m.periods_per_year_for(text) == expected


def test_periods_per_year_for_empty_raises() -> None:
    with pytest.raises(ParameterError):
        m.periods_per_year_for("  ")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=3, max_size=80))
def test_ratios_match_empyrical_on_random_returns(values: list[float]) -> None:
    returns = pd.Series(values)
    if returns.std() < 1e-6 or not returns.min() < -1e-6:
        return  # degenerate: empyrical reports inf where we report NaN by design
    equity = pd.Series(np.r_[1.0, np.cumprod(1 + returns.to_numpy())])
    assert m.sharpe(returns) == pytest.approx(ep.sharpe_ratio(returns), rel=1e-9)
    assert m.sortino(returns) == pytest.approx(ep.sortino_ratio(returns), rel=1e-9)
    assert m.max_drawdown(equity) == pytest.approx(ep.max_drawdown(returns), rel=1e-9, abs=1e-12)
    assert m.cagr(equity) == pytest.approx(ep.annual_return(returns), rel=1e-9)


def test_compute_stats_fast_path_matches_quantstats(equity: pd.Series, trades: pd.DataFrame,
                                                    goog: pd.DataFrame) -> None:
    """compute_stats cleans once and works on arrays: its figures still equal the reference libraries,
    and a benchmark on other dates goes through the aligned path (shared bars only)."""
    stats = m.compute_stats(equity, trades, periods_per_year=252)
    r = naive(m.returns_from_equity(equity))
    assert stats["sharpe"] == pytest.approx(qs.stats.sharpe(r, periods=252), rel=REL)
    assert stats["sortino"] == pytest.approx(ep.sortino_ratio(r, annualization=252), rel=REL)
    assert stats["annual_volatility"] == pytest.approx(ep.annual_volatility(r, annualization=252), rel=REL)
    assert stats["skew"] == pytest.approx(qs.stats.skew(r), rel=REL)
    assert stats["kurtosis"] == pytest.approx(qs.stats.kurtosis(r), rel=REL)
    assert stats["max_drawdown"] == pytest.approx(ep.max_drawdown(r), rel=REL)
    assert stats["cagr"] == pytest.approx(ep.annual_return(r, annualization=252), rel=REL)
    gappy = goog["open"].drop(goog.index[100:140])
    stats = m.compute_stats(equity, trades, gappy, periods_per_year=252)
    rets = m.returns_from_equity(equity)
    expected = m.alpha_beta(rets, m.returns_from_equity(gappy), 252)
    assert (stats["alpha"], stats["beta"]) == pytest.approx(expected, rel=REL)
    assert stats["beta"] != m.compute_stats(equity, trades, goog["open"])["beta"]
