"""Tear sheet numbers against quantstats/empyrical and hand computations; input handling; HTML export."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from engine.data.providers.demo import generate_demo_bars
from engine.errors import DataError, ParameterError
from engine.metrics import compute_stats, yearly_returns
from engine.tearsheet import (
    FIGURE_TITLES,
    TEARSHEET_METRICS,
    build_tearsheet,
    metrics_table,
    tearsheet_figures,
    tearsheet_html,
    to_daily,
)

NOW = pd.Timestamp("2024-06-28", tz="UTC")
qs = pytest.importorskip("quantstats")
empyrical = pytest.importorskip("empyrical")


@pytest.fixture(scope="module")
def nse() -> tuple[pd.Series, pd.Series]:
    """Six years of demo RELIANCE.NS closes as the equity curve and demo ^NSEI as the benchmark."""
    equity = generate_demo_bars("RELIANCE.NS", "1d", "2018-01-01", now=NOW)["close"] * 100
    bench = generate_demo_bars("^NSEI", "1d", "2018-01-01", now=NOW)["close"].rename("^NSEI")
    return equity, bench


@pytest.fixture(scope="module")
def sheet(nse: tuple[pd.Series, pd.Series]):  # noqa: ANN201
    return build_tearsheet(*nse, periods_per_year=252, rf=0.05)


def gbm(n: int = 600, seed: int = 7, start: str = "2021-01-01", tz: str | None = "UTC") -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=n, tz=tz)
    return pd.Series(100_000 * np.exp(np.cumsum(rng.normal(0.0004, 0.012, n))), index, name="equity")


def naive(series: pd.Series) -> pd.Series:
    return pd.Series(series.to_numpy(), index=series.index.tz_localize(None))


# --- the numbers behind the figures -------------------------------------------------------------

def test_monthly_table_equals_quantstats_monthly_returns(sheet) -> None:  # noqa: ANN001
    theirs = qs.stats.monthly_returns(naive(sheet.returns), eoy=True, compounded=True)
    ours = sheet.monthly
    assert list(ours.index) == [int(y) for y in theirs.index]
    months = ours.iloc[:, :12].fillna(0.0).to_numpy()  # quantstats writes 0 for months without data
    np.testing.assert_allclose(months, theirs.iloc[:, :12].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["Year"].to_numpy(), theirs["EOY"].to_numpy(), rtol=0, atol=1e-12)
    assert ours.iloc[0, 0] == pytest.approx(sheet.equity.loc[:"2018-01-31"].iloc[-1] / sheet.equity.iloc[0] - 1)


def test_drawdown_equals_quantstats_and_empyrical(sheet) -> None:  # noqa: ANN001
    theirs = qs.stats.to_drawdown_series(naive(sheet.returns))
    np.testing.assert_allclose(sheet.drawdown.iloc[1:].to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-12)
    assert sheet.drawdown.iloc[0] == 0.0
    assert sheet.drawdown.min() == pytest.approx(empyrical.max_drawdown(sheet.returns.to_numpy()), abs=1e-12)
    assert sheet.stats["max_drawdown"] == pytest.approx(sheet.drawdown.min(), abs=1e-15)


def test_rolling_volatility_is_pandas_rolling_std_times_sqrt_252(sheet) -> None:  # noqa: ANN001
    expected = sheet.returns.rolling(126).std() * math.sqrt(252)
    pd.testing.assert_series_equal(sheet.rolling["rolling_volatility"], expected, check_names=False)
    theirs = qs.stats.rolling_volatility(naive(sheet.returns), rolling_period=126, periods_per_year=252)
    np.testing.assert_allclose(sheet.rolling["rolling_volatility"].to_numpy(), theirs.to_numpy(), equal_nan=True)
    assert sheet.rolling["rolling_volatility"].iloc[:125].isna().all()
    assert sheet.rolling["rolling_volatility"].iloc[125:].notna().all()


def test_rolling_sharpe_equals_quantstats_with_geometric_rf(sheet) -> None:  # noqa: ANN001
    theirs = qs.stats.rolling_sharpe(naive(sheet.returns), rf=0.05, rolling_period=126, periods_per_year=252)
    np.testing.assert_allclose(sheet.rolling["rolling_sharpe"].to_numpy(), theirs.to_numpy(), equal_nan=True,
                               rtol=1e-10)
    window = sheet.returns.iloc[200:326] - ((1.05) ** (1 / 252) - 1)
    by_hand = window.mean() / window.std(ddof=1) * math.sqrt(252)
    assert sheet.rolling["rolling_sharpe"].iloc[325] == pytest.approx(by_hand, rel=1e-12)


def test_rolling_beta_equals_cov_over_var_by_hand(sheet) -> None:  # noqa: ANN001
    r, b = sheet.returns.to_numpy(), sheet.benchmark_returns.to_numpy()
    assert not np.isnan(b).any(), "demo NSE stock and index share their sessions"
    for end in (125, 400, len(r) - 1):
        rw, bw = r[end - 125:end + 1], b[end - 125:end + 1]
        by_hand = np.cov(rw, bw, ddof=1)[0, 1] / np.var(bw, ddof=1)
        assert sheet.rolling["rolling_beta"].iloc[end] == pytest.approx(by_hand, rel=1e-9)
    theirs = qs.stats.rolling_greeks(naive(sheet.returns), naive(sheet.benchmark_returns), periods=126)["beta"]
    np.testing.assert_allclose(sheet.rolling["rolling_beta"].to_numpy()[125:], theirs.to_numpy()[125:], rtol=1e-8)


def test_calendar_cell_is_that_days_return(sheet) -> None:  # noqa: ANN001
    day = pd.Timestamp("2024-03-13", tz="UTC")  # a Wednesday
    week = pd.Timestamp("2024-03-11").date()
    assert sheet.calendar.loc["Wed", week] == pytest.approx(sheet.returns.loc[day], abs=0)
    assert list(sheet.calendar.index) == ["Mon", "Tue", "Wed", "Thu", "Fri"], "no weekend rows for NSE"
    oldest = pd.Timestamp(sheet.calendar.columns[0])
    assert oldest >= (sheet.returns.index[-1] - pd.Timedelta(days=372)).tz_localize(None)
    assert sheet.calendar.notna().sum().sum() == len(sheet.returns.loc[sheet.returns.index[-1] - pd.Timedelta(days=364):])
    recent = pd.bdate_range(sheet.returns.index[-1] - pd.Timedelta(days=300), sheet.returns.index[-1], tz="UTC")
    holiday = recent.difference(sheet.returns.index)[0]  # a weekday without an NSE session
    monday = (holiday - pd.Timedelta(days=holiday.dayofweek)).date()
    assert math.isnan(sheet.calendar.loc[holiday.strftime("%a"), monday])


def test_calendar_grid_has_weekend_rows_for_crypto() -> None:
    index = pd.date_range("2023-01-01", periods=400, freq="D", tz="UTC")
    equity = pd.Series(np.linspace(100, 140, 400), index)
    sheet = build_tearsheet(equity, periods_per_year=365)
    assert list(sheet.calendar.index) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    sunday = pd.Timestamp("2024-01-28", tz="UTC")
    assert sheet.calendar.loc["Sun", pd.Timestamp("2024-01-22").date()] == pytest.approx(sheet.returns.loc[sunday])


def test_yearly_returns_strategy_and_benchmark(sheet, nse) -> None:  # noqa: ANN001
    compounded = (1 + sheet.returns).groupby(sheet.returns.index.year).prod() - 1
    np.testing.assert_allclose(sheet.yearly["Strategy"].to_numpy(), compounded.to_numpy(), rtol=1e-12)
    pd.testing.assert_series_equal(sheet.yearly["Benchmark"], yearly_returns(nse[1].dropna()), check_names=False)


def test_metrics_reuse_compute_stats_and_match_empyrical(sheet, nse) -> None:  # noqa: ANN001
    stats = compute_stats(nse[0], benchmark=nse[1], periods_per_year=252, rf=0.05)
    assert set(sheet.stats) == set(TEARSHEET_METRICS)
    for key in TEARSHEET_METRICS:
        assert sheet.stats[key] == stats[key], key
    r, b = sheet.returns.to_numpy(), sheet.benchmark_returns.to_numpy()
    rf_p = 1.05 ** (1 / 252) - 1
    alpha, beta = empyrical.alpha_beta(r, b, risk_free=rf_p, annualization=252)
    assert sheet.stats["beta"] == pytest.approx(beta, rel=1e-9)
    assert sheet.stats["alpha"] == pytest.approx(alpha, rel=1e-9)
    assert sheet.stats["sharpe"] == pytest.approx(qs.stats.sharpe(naive(sheet.returns), rf=0.05, periods=252), rel=1e-9)
    assert sheet.benchmark_stats["total_return"] == pytest.approx(nse[1].iloc[-1] / nse[1].iloc[0] - 1)


# --- alignment and index handling ----------------------------------------------------------------

def test_benchmark_with_missing_days_is_forward_filled_within_limit() -> None:
    equity = gbm(300)
    bench = gbm(300, seed=11).rename("Index")
    missing = [bench.index[50], bench.index[51], bench.index[120]]
    gap = bench.index[200:208]  # eight bars: five are carried over, three stay unknown
    sparse = bench.drop(missing).drop(gap)
    sheet = build_tearsheet(equity, sparse)
    assert sheet.benchmark.loc[missing[0]] == bench.iloc[49] and sheet.benchmark.loc[missing[1]] == bench.iloc[49]
    assert sheet.benchmark.loc[missing[2]] == bench.iloc[119]
    assert (sheet.benchmark.loc[gap[:5]] == bench.iloc[199]).all()
    assert sheet.benchmark.loc[gap[5:]].isna().all()
    assert sheet.benchmark_name == "Index"
    known = sheet.benchmark.dropna()
    paired = pd.concat([sheet.returns, known.pct_change().dropna()], axis=1, join="inner")
    alpha, beta = empyrical.alpha_beta(paired.iloc[:, 0].to_numpy(), paired.iloc[:, 1].to_numpy())
    assert sheet.stats["beta"] == pytest.approx(beta, rel=1e-9)
    assert sheet.stats["alpha"] == pytest.approx(alpha, rel=1e-9)


def test_benchmark_on_other_calendar_and_extra_days() -> None:
    equity = gbm(260)
    daily = pd.date_range(equity.index[0] - pd.Timedelta(days=30), equity.index[-1], freq="D", tz="UTC")
    bench = pd.Series(np.linspace(100, 130, len(daily)), daily)  # also has weekends the strategy lacks
    sheet = build_tearsheet(equity, bench, benchmark_name="BTC-USD")
    assert sheet.benchmark.index.equals(sheet.equity.index)
    assert sheet.benchmark.notna().all()
    assert sheet.benchmark_name == "BTC-USD"


def test_naive_and_tz_aware_indexes_give_the_same_sheet() -> None:
    aware = gbm(400)
    sheet_aware = build_tearsheet(aware, gbm(400, seed=3))
    sheet_naive = build_tearsheet(naive(aware), naive(gbm(400, seed=3)))
    mixed = build_tearsheet(aware, naive(gbm(400, seed=3)))
    for other in (sheet_naive, mixed):
        assert other.stats == sheet_aware.stats
        pd.testing.assert_frame_equal(other.monthly, sheet_aware.monthly)
    assert str(sheet_naive.equity.index.tz) == "UTC"


def test_exchange_zone_index_keeps_its_session_dates() -> None:
    utc = gbm(300)
    ist = pd.Series(utc.to_numpy(), utc.index.tz_localize(None).tz_localize("Asia/Kolkata"))
    sheet = build_tearsheet(ist)
    assert sheet.equity.index.equals(utc.index), "00:00 IST is the same session date, not the evening before"
    pd.testing.assert_frame_equal(sheet.monthly, build_tearsheet(utc).monthly)


def test_intraday_equity_is_reduced_to_the_last_value_of_each_day() -> None:
    hours = pd.date_range("2024-01-01 03:45", periods=6 * 40, freq="h", tz="UTC")
    hours = hours[hours.hour.isin(range(4, 10))]
    equity = pd.Series(np.linspace(100, 120, len(hours)), hours)
    sheet = build_tearsheet(equity)
    daily_last = equity.groupby(equity.index.normalize()).last()
    np.testing.assert_allclose(sheet.equity.to_numpy(), daily_last.to_numpy())
    assert sheet.notes and "daily values" in sheet.notes[0]
    assert (to_daily(equity).index == daily_last.index).all()


@pytest.mark.parametrize("bad, message", [
    (pd.Series([], dtype=float, index=pd.DatetimeIndex([], tz="UTC")), "empty"),
    (pd.Series([np.nan] * 5, index=pd.bdate_range("2024-01-01", periods=5, tz="UTC")), "empty"),
    (pd.Series([100.0, 101.0], index=pd.bdate_range("2024-01-01", periods=2, tz="UTC")), "at least 3"),
    (pd.Series([100.0, 101.0, 102.0, 103.0]), "DatetimeIndex"),
    (pd.Series([100.0, 0.0, 102.0], index=pd.bdate_range("2024-01-01", periods=3, tz="UTC")), "above zero"),
    ([100.0, 101.0, 102.0], "pandas Series"),
])
def test_unusable_equity_raises_a_clear_data_error(bad, message: str) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match=message):
        build_tearsheet(bad)


def test_nan_bars_are_skipped_like_the_metrics_do() -> None:
    equity = gbm(200)
    holed = equity.copy()
    holed.iloc[[10, 11, 50]] = np.nan
    sheet = build_tearsheet(holed)
    assert len(sheet.equity) == 197
    assert sheet.stats == {**build_tearsheet(equity.dropna().drop(equity.index[[10, 11, 50]])).stats}


def test_benchmark_without_overlap_and_bad_parameters_raise() -> None:
    equity = gbm(200)
    later = gbm(50, start="2030-01-01")
    with pytest.raises(DataError, match="benchmark has fewer than two prices"):
        build_tearsheet(equity, later)
    with pytest.raises(ParameterError, match="window"):
        build_tearsheet(equity, window=1)
    with pytest.raises(ParameterError, match="periods_per_year"):
        build_tearsheet(equity, periods_per_year=0)
    with pytest.raises(ParameterError, match="rf"):
        build_tearsheet(equity, rf=-2.0)


def test_short_series_builds_with_empty_rolling_figures() -> None:
    sheet = build_tearsheet(gbm(40), gbm(40, seed=2))
    assert sheet.rolling.isna().all().all()
    figures = tearsheet_figures(sheet)
    assert list(figures) == list(FIGURE_TITLES)
    assert any("needs 126" in a.text for a in figures["rolling"].layout.annotations)


# --- figures and HTML ------------------------------------------------------------------------------

def test_figures_carry_the_numbers(sheet) -> None:  # noqa: ANN001
    figures = tearsheet_figures(sheet)
    assert list(figures) == list(FIGURE_TITLES)
    growth = figures["cumulative"].data[0].y
    assert growth[-1] == pytest.approx(100 * (1 + sheet.stats["total_return"]))
    assert figures["cumulative"].data[1].name == "^NSEI"
    np.testing.assert_allclose(figures["monthly"].data[0].z, sheet.monthly.to_numpy() * 100)
    assert [t.name for t in figures["rolling"].data] == ["Sharpe", "Vol %", "Beta"]
    assert figures["rolling"].layout.template.layout.paper_bgcolor is not None, "house template applied"
    calendar = figures["calendar"]
    np.testing.assert_allclose(calendar.data[0].z, sheet.calendar.to_numpy() * 100)
    assert calendar.data[0].zmax == pytest.approx(np.nanpercentile(np.abs(sheet.calendar.to_numpy()) * 100, 98))
    ticks = calendar.layout.xaxis.ticktext
    assert ticks[-1] == "Jun" and len(ticks) <= 7, "every other month, the latest labelled"
    assert ticks[0].endswith(" 23") and sum(t.endswith(" 24") for t in ticks) == 1, "the year where it changes"
    assert sum(figures["distribution"].data[0].y) == len(sheet.returns)
    assert figures["distribution"].layout.shapes[0].x0 == pytest.approx(sheet.stats["var_95"] * 100)


def test_metrics_table_has_strategy_and_benchmark_columns(sheet) -> None:  # noqa: ANN001
    table = metrics_table(sheet, "INR")
    assert list(table.columns) == ["Metric", "Strategy", "^NSEI", "Convention"]
    row = table.set_index("Metric")
    assert row.loc["Initial equity", "Strategy"].startswith("₹")
    assert row.loc["Beta", "^NSEI"] == "—"
    assert row.loc["Total return", "^NSEI"] == f"{sheet.benchmark_stats['total_return'] * 100:+.2f}%"


def test_html_is_self_contained_and_has_every_section(nse) -> None:  # noqa: ANN001
    page = tearsheet_html(nse[0], nse[1], "SMA cross <RELIANCE.NS>", 252)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "SMA cross &lt;RELIANCE.NS&gt;" in page, "title escaped"
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I), "no external scripts"
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", page, re.I), "no external stylesheets"
    assert page.count("plotly.js v") == 1, "plotly.js inlined exactly once"
    assert page.count("Plotly.newPlot") == len(FIGURE_TITLES)
    for key, title in FIGURE_TITLES.items():
        assert f'id="{key}"' in page and title.replace("&", "&amp;") in page, key
    for text in ("<h2>Metrics</h2>", "<h2>Conventions</h2>", "Benchmark: ^NSEI", "Period 01 Jan 2018",
                 "252 periods a year", "(1 + rf)^(1/252) - 1", "Sharpe"):
        assert text in page, text


def test_html_without_benchmark() -> None:
    page = tearsheet_html(gbm(300), None, "Paper #3", periods_per_year=365)
    assert "Benchmark: none" in page and "365 periods a year" in page
    assert "Beta" in page  # the row is kept, with '—'
    assert page.count("Plotly.newPlot") == len(FIGURE_TITLES)
