"""Volatility estimators against hand-worked bars and a plain re-implementation, GARCH(1,1) against arch, regimes."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from engine.data.providers.demo import DemoProvider
from engine.errors import DataError, OptimizationError, ParameterError
from engine.volatility import (
    ESTIMATORS,
    MIN_GARCH_RETURNS,
    close_to_close,
    fit_garch,
    garman_klass,
    log_returns,
    parkinson,
    regime_label,
    rogers_satchell,
    vol_regime,
    volatility_table,
    yang_zhang,
    yang_zhang_k,
)

LN2 = math.log(2.0)


def bars_from_logs(rows: list[tuple[float, float, float, float]], base: float = 100.0) -> pd.DataFrame:
    """Bars whose log prices (relative to ln(base)) are the given (open, high, low, close) rows."""
    index = pd.date_range("2024-01-01", periods=len(rows), freq="D", tz="UTC", name="ts")
    logs = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    bars = base * np.exp(logs)
    return bars.assign(volume=1_000.0, adj_close=bars["close"])


# Log prices (o, h, l, c) of four bars; window 3, periods_per_year 1 so the numbers stay per-bar.
HAND = bars_from_logs([
    (0.00, 0.02, -0.01, 0.01),
    (0.02, 0.03, 0.00, 0.00),
    (0.01, 0.04, 0.00, 0.03),
    (0.03, 0.05, 0.01, 0.02),
])


def test_close_to_close_by_hand() -> None:
    # returns: 0.00-0.01 = -0.01, 0.03-0.00 = 0.03, 0.02-0.03 = -0.01; mean 0.01/3
    # deviations -0.04/3, 0.08/3, -0.04/3 -> squares sum (0.0016 + 0.0064 + 0.0016)/9 = 0.0096/9
    # sample variance (n-1 = 2): 0.0048/9 = 0.000533…, vol 0.023094 per bar
    vol = close_to_close(HAND, 3, 1)
    assert vol.iloc[:3].isna().all()
    assert vol.iloc[3] == pytest.approx(math.sqrt(0.0048 / 9), rel=1e-12)
    assert close_to_close(HAND, 3, 252).iloc[3] == pytest.approx(math.sqrt(0.0048 / 9 * 252), rel=1e-12)


def test_parkinson_by_hand() -> None:
    # ln(H/L): 0.03, 0.03, 0.04, 0.04 -> squares 0.0009, 0.0009, 0.0016, 0.0016
    # bar 2: mean (0.0009 + 0.0009 + 0.0016)/3 = 0.0034/3, / (4 ln 2) -> 0.000408760, vol 0.020218
    # bar 3: mean (0.0009 + 0.0016 + 0.0016)/3 = 0.0041/3, / (4 ln 2) -> 0.000492919, vol 0.022202
    vol = parkinson(HAND, 3, 1)
    assert vol.iloc[:2].isna().all()
    assert vol.iloc[2] == pytest.approx(math.sqrt(0.0034 / 3 / (4 * LN2)), rel=1e-12)
    assert vol.iloc[3] == pytest.approx(math.sqrt(0.0041 / 3 / (4 * LN2)), rel=1e-12)
    assert vol.iloc[3] == pytest.approx(0.022202, abs=1e-6)


def test_garman_klass_by_hand() -> None:
    # per bar 0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2 with 2 ln 2 - 1 = 0.386294
    # ln(C/O): 0.01, -0.02, 0.02, -0.01 -> squares 0.0001, 0.0004, 0.0004, 0.0001
    # bar 1: 0.00045 - 0.386294 * 0.0004 = 0.000295482
    # bar 2: 0.0008  - 0.386294 * 0.0004 = 0.000645482
    # bar 3: 0.0008  - 0.386294 * 0.0001 = 0.000761371
    # bar 3 window: (0.000295482 + 0.000645482 + 0.000761371)/3 = 0.000567445, vol 0.023821
    c = 2 * LN2 - 1
    expected = ((0.00045 - c * 0.0004) + (0.0008 - c * 0.0004) + (0.0008 - c * 0.0001)) / 3
    vol = garman_klass(HAND, 3, 1)
    assert vol.iloc[:2].isna().all()
    assert vol.iloc[3] == pytest.approx(math.sqrt(expected), rel=1e-12)
    assert vol.iloc[3] == pytest.approx(0.023821, abs=1e-6)


def test_rogers_satchell_by_hand() -> None:
    # ln(H/C) ln(H/O) + ln(L/C) ln(L/O) per bar:
    # bar 0: 0.01*0.02 + (-0.02)(-0.01) = 0.0004
    # bar 1: 0.03*0.01 + 0*(-0.02)      = 0.0003
    # bar 2: 0.01*0.03 + (-0.03)(-0.01) = 0.0006
    # bar 3: 0.03*0.02 + (-0.01)(-0.02) = 0.0008
    vol = rogers_satchell(HAND, 3, 1)
    assert vol.iloc[2] == pytest.approx(math.sqrt(0.0013 / 3), rel=1e-12)
    assert vol.iloc[3] == pytest.approx(math.sqrt(0.0017 / 3), rel=1e-12)


def test_yang_zhang_by_hand() -> None:
    # k = 0.34 / (1.34 + (3+1)/(3-1)) = 0.34 / 3.34 = 0.101796
    # overnight ln(O_t/C_t-1): 0.02-0.01 = 0.01, 0.01-0.00 = 0.01, 0.03-0.03 = 0; mean 0.02/3
    #   deviations 0.01/3, 0.01/3, -0.02/3 -> squares sum 0.0006/9, sample variance 0.0003/9
    # open-to-close ln(C/O) of bars 1-3: -0.02, 0.02, -0.01; mean -0.01/3
    #   deviations -0.05/3, 0.07/3, -0.02/3 -> squares sum 0.0078/9, sample variance 0.0039/9
    # Rogers-Satchell mean of bars 1-3: 0.0017/3
    # variance 0.0003/9 + 0.101796 * 0.0039/9 + 0.898204 * 0.0017/3 = 0.000586427, vol 0.024216
    k = 0.34 / 3.34
    assert yang_zhang_k(3) == pytest.approx(k, rel=1e-15)
    expected = 0.0003 / 9 + k * 0.0039 / 9 + (1 - k) * 0.0017 / 3
    vol = yang_zhang(HAND, 3, 1)
    assert vol.iloc[:3].isna().all()
    assert vol.iloc[3] == pytest.approx(math.sqrt(expected), rel=1e-12)
    assert vol.iloc[3] == pytest.approx(0.024216, abs=1e-6)


# ---- Against a plain, loop-by-loop implementation of the published formulas --------------------------


def reference_vol(bars: pd.DataFrame, name: str, n: int, ppy: float) -> list[float]:
    """Each estimator written out window by window with the standard library (no pandas rolling)."""
    o, h, lo, c = (np.log(bars[col].to_numpy()).tolist() for col in ("open", "high", "low", "close"))
    out = [math.nan] * len(c)
    for t in range(len(c)):
        first = t - n + 1
        if name in ("close_to_close", "yang_zhang"):
            if first < 1:
                continue
        elif first < 0:
            continue
        days = range(first, t + 1)
        if name == "close_to_close":
            var = statistics.variance([c[i] - c[i - 1] for i in days])
        elif name == "parkinson":
            var = sum((h[i] - lo[i]) ** 2 for i in days) / n / (4 * LN2)
        elif name == "garman_klass":
            var = sum(0.5 * (h[i] - lo[i]) ** 2 - (2 * LN2 - 1) * (c[i] - o[i]) ** 2 for i in days) / n
        else:
            rs = sum((h[i] - c[i]) * (h[i] - o[i]) + (lo[i] - c[i]) * (lo[i] - o[i]) for i in days) / n
            if name == "rogers_satchell":
                var = rs
            else:
                k = 0.34 / (1.34 + (n + 1) / (n - 1))
                var = (statistics.variance([o[i] - c[i - 1] for i in days])
                       + k * statistics.variance([c[i] - o[i] for i in days]) + (1 - k) * rs)
        out[t] = math.sqrt(var * ppy)
    return out


def gbm_bars(n_days: int, sigma_day: float, steps: int, seed: int, gap_sigma: float = 0.0) -> pd.DataFrame:
    """Seeded driftless GBM: `steps` intraday log steps per day (OHLC from the path), optional overnight gaps."""
    rng = np.random.default_rng(seed)
    path = rng.normal(0.0, sigma_day / math.sqrt(steps), size=(n_days, steps)).cumsum(axis=1)
    gaps = rng.normal(0.0, gap_sigma, size=n_days) if gap_sigma else np.zeros(n_days)
    open_log = np.zeros(n_days)
    for d in range(1, n_days):  # each day opens at the previous close plus the overnight gap
        open_log[d] = open_log[d - 1] + path[d - 1, -1] + gaps[d]
    day = np.concatenate([np.zeros((n_days, 1)), path], axis=1) + open_log[:, None]
    logs = pd.DataFrame({"open": day[:, 0], "high": day.max(axis=1), "low": day.min(axis=1), "close": day[:, -1]},
                        index=pd.date_range("2020-01-01", periods=n_days, freq="B", tz="UTC", name="ts"))
    return 100.0 * np.exp(logs)


@pytest.fixture(scope="module")
def demo_bars() -> pd.DataFrame:
    provider = DemoProvider(now=pd.Timestamp("2024-06-28", tz="UTC"))
    return provider.fetch("RELIANCE.NS", "1d", "2022-01-01", "2024-06-28")


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize(("window", "ppy"), [(20, 252), (7, 365)])
def test_matches_reference_on_demo_bars(demo_bars, name: str, window: int, ppy: int) -> None:  # noqa: ANN001
    table = volatility_table(demo_bars, window, ppy)
    expected = reference_vol(demo_bars, name, window, ppy)
    assert table.index.equals(demo_bars.index)
    np.testing.assert_allclose(table[name].to_numpy(), expected, rtol=1e-9, equal_nan=True)
    assert table[name].notna().sum() == len(demo_bars) - (window if name in ("close_to_close", "yang_zhang")
                                                          else window - 1)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_matches_reference_on_gbm_bars(name: str) -> None:
    bars = gbm_bars(300, 0.015, 50, seed=3, gap_sigma=0.005)
    np.testing.assert_allclose(volatility_table(bars, 30, 252)[name].to_numpy(),
                               reference_vol(bars, name, 30, 252), rtol=1e-9, equal_nan=True)


# ---- Properties ------------------------------------------------------------------------------------------


def test_constant_price_and_range_gives_closed_form_values() -> None:
    # open = close = 100 every bar, high/low = 100 e^(±a): no close-to-close or open-to-close moves
    a, n = 0.01, 10
    bars = bars_from_logs([(0.0, a, -a, 0.0)] * 40)
    table = volatility_table(bars, n, 252).dropna()
    k = yang_zhang_k(n)
    assert table["close_to_close"].eq(0).all()
    np.testing.assert_allclose(table["parkinson"], a / math.sqrt(LN2) * math.sqrt(252), rtol=1e-12)  # (2a)²/(4 ln2)
    np.testing.assert_allclose(table["garman_klass"], math.sqrt(2) * a * math.sqrt(252), rtol=1e-12)  # 0.5 (2a)²
    np.testing.assert_allclose(table["rogers_satchell"], math.sqrt(2) * a * math.sqrt(252), rtol=1e-12)  # a² + a²
    np.testing.assert_allclose(table["yang_zhang"], math.sqrt((1 - k) * 2) * a * math.sqrt(252), rtol=1e-12)


def test_steady_trend_without_wicks_is_zero_for_drift_free_estimators() -> None:
    # every bar opens at the last close and rises r to close at its high: a pure drift, no noise
    r = 0.01
    bars = bars_from_logs([(i * r, (i + 1) * r, i * r, (i + 1) * r) for i in range(30)])
    table = volatility_table(bars, 10, 1).dropna()
    np.testing.assert_allclose(table[["close_to_close", "rogers_satchell", "yang_zhang"]], 0.0, atol=1e-9)
    np.testing.assert_allclose(table["parkinson"], r / math.sqrt(4 * LN2), rtol=1e-9)  # drift shows as range
    np.testing.assert_allclose(table["garman_klass"], r * math.sqrt(0.5 - (2 * LN2 - 1)), rtol=1e-9)


def test_all_estimators_find_the_true_vol_without_gaps() -> None:
    sigma = 0.30
    bars = gbm_bars(600, sigma / math.sqrt(252), 400, seed=11)
    last = volatility_table(bars, len(bars) - 1, 252).iloc[-1]
    for name, value in last.items():
        assert value == pytest.approx(sigma, rel=0.08), name  # range-based ones are a few % low (discrete path)
    assert last["yang_zhang"] == pytest.approx(last["close_to_close"], rel=0.08)


def test_only_yang_zhang_and_close_to_close_see_overnight_gaps() -> None:
    day, gap = 0.012, 0.012  # equal intraday and overnight variance: total vol is √2 × the intraday vol
    bars = gbm_bars(800, day, 300, seed=5, gap_sigma=gap)
    last = volatility_table(bars, len(bars) - 1, 1).iloc[-1]
    total = math.hypot(day, gap)
    assert last["close_to_close"] == pytest.approx(total, rel=0.08)
    assert last["yang_zhang"] == pytest.approx(total, rel=0.08)
    for name in ("parkinson", "garman_klass", "rogers_satchell"):
        assert last[name] == pytest.approx(day, rel=0.1), name


def test_annualisation_scales_by_square_root() -> None:
    bars = gbm_bars(120, 0.02, 20, seed=1)
    ratio = volatility_table(bars, 20, 365) / volatility_table(bars, 20, 252)
    np.testing.assert_allclose(ratio.dropna(), math.sqrt(365 / 252), rtol=1e-12)


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b.drop(columns=["high"]), "miss column(s) high"),
    (lambda b: b.assign(low=b["low"].where(b.index != b.index[5], 0.0)), "above zero"),
    (lambda b: b.assign(close=b["close"].where(b.index != b.index[5], np.nan)), "missing or infinite"),
    (lambda b: b.assign(high=b["low"] * 0.99), "high below low"),
    (lambda b: b.iloc[:20], "needs at least 21 bars, got 20"),
])
def test_unusable_bars_raise_data_error(change, message: str) -> None:  # noqa: ANN001
    bars = gbm_bars(60, 0.01, 10, seed=2)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        yang_zhang(change(bars), 20)


def test_bad_parameters_and_inputs() -> None:
    bars = gbm_bars(60, 0.01, 10, seed=2)
    with pytest.raises(ParameterError, match="window"):
        close_to_close(bars, 1)
    with pytest.raises(ParameterError, match="periods_per_year"):
        parkinson(bars, 20, 0)
    with pytest.raises(DataError, match="DataFrame"):
        garman_klass(bars["close"], 20)  # type: ignore[arg-type]
    assert parkinson(bars.iloc[:20], 20).notna().sum() == 1  # range estimators need no previous close


# ---- GARCH(1,1) ------------------------------------------------------------------------------------------

OMEGA, ALPHA, BETA = 0.05, 0.08, 0.90  # in arch's units: returns × 100, so omega in %² per day


@pytest.fixture(scope="module")
def garch_returns() -> pd.Series:
    """3,000 simulated GARCH(1,1) daily log returns (decimal) with known parameters and a 0.05% mean."""
    rng = np.random.default_rng(42)
    n, burn = 3_000, 500
    z = rng.standard_normal(n + burn)
    eps = np.empty(n + burn)
    var = OMEGA / (1 - ALPHA - BETA)
    for t in range(n + burn):
        eps[t] = math.sqrt(var) * z[t]
        var = OMEGA + ALPHA * eps[t] ** 2 + BETA * var
    index = pd.date_range("2010-01-01", periods=n, freq="B", tz="UTC", name="ts")
    return pd.Series(eps[burn:] / 100.0 + 0.0005, index=index)


@pytest.fixture(scope="module")
def garch_fit(garch_returns):  # noqa: ANN001, ANN201
    return fit_garch(garch_returns, periods_per_year=252, horizon=60)


def test_garch_recovers_known_parameters(garch_fit) -> None:  # noqa: ANN001
    assert garch_fit.alpha == pytest.approx(ALPHA, abs=0.03)
    assert garch_fit.beta == pytest.approx(BETA, abs=0.04)
    assert garch_fit.persistence == pytest.approx(ALPHA + BETA, abs=0.015)
    true_long_run = math.sqrt(OMEGA / (1 - ALPHA - BETA) * 252) / 100  # 0.2510 annualised
    assert garch_fit.long_run_vol == pytest.approx(true_long_run, rel=0.15)
    assert garch_fit.mu == pytest.approx(0.0005, abs=0.0004)
    assert garch_fit.n_obs == 3_000 and len(garch_fit.conditional_vol) == 3_000


def test_garch_matches_arch_directly(garch_returns, garch_fit) -> None:  # noqa: ANN001
    from arch import arch_model

    res = arch_model(garch_returns * 100, vol="GARCH", p=1, q=1, mean="Constant", dist="normal").fit(disp="off")
    assert garch_fit.omega == pytest.approx(res.params["omega"], rel=1e-9)
    assert garch_fit.alpha == pytest.approx(res.params["alpha[1]"], rel=1e-9)
    variance = res.forecast(horizon=60, reindex=False).variance.iloc[-1].to_numpy()
    np.testing.assert_allclose(garch_fit.forecast["forward"], np.sqrt(variance * 252) / 100, rtol=1e-9)
    np.testing.assert_allclose(garch_fit.conditional_vol, res.conditional_volatility * math.sqrt(252) / 100,
                               rtol=1e-9)


def test_garch_forecast_follows_the_closed_form_and_converges(garch_returns, garch_fit) -> None:  # noqa: ANN001
    # forward variance h bars ahead = LR + (alpha + beta)^(h-1) (var_1 - LR), all per bar
    f = garch_fit
    lr_var = (f.long_run_vol * 100) ** 2 / 252
    var1 = (f.forecast["forward"].iloc[0] * 100) ** 2 / 252
    h = f.forecast.index.to_numpy()
    closed = lr_var + f.persistence ** (h - 1) * (var1 - lr_var)
    np.testing.assert_allclose(f.forecast["forward"], np.sqrt(closed * 252) / 100, rtol=1e-8)
    gap = (f.forecast["forward"] - f.long_run_vol).abs()
    assert (gap.diff().dropna() <= 1e-15).all(), "each step is closer to the long-run vol"
    term = np.sqrt((f.forecast["forward"] ** 2).cumsum() / h)
    np.testing.assert_allclose(f.forecast["term"], term, rtol=1e-12)
    far = fit_garch(garch_returns, horizon=2_000).forecast["forward"].iloc[-1]
    assert far == pytest.approx(f.long_run_vol, rel=1e-4)
    assert f.as_dict()["forecast"][0]["h"] == 1 and len(f.as_dict()["forecast"]) == 60


def test_garch_rejects_short_or_flat_returns(garch_returns) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match=f"at least {MIN_GARCH_RETURNS} returns, got 100"):
        fit_garch(garch_returns.iloc[:100])
    with pytest.raises(DataError, match="constant"):
        fit_garch(pd.Series(0.001, index=garch_returns.index))
    with pytest.raises(ParameterError, match="horizon"):
        fit_garch(garch_returns, horizon=0)


def test_garch_non_convergence_is_an_optimization_error(garch_returns, monkeypatch) -> None:  # noqa: ANN001
    from types import SimpleNamespace

    import arch

    class Stuck:
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            pass

        def fit(self, disp: str = "off", show_warning: bool = True) -> SimpleNamespace:
            return SimpleNamespace(convergence_flag=9, optimization_result=SimpleNamespace(message="Iteration limit"))

    monkeypatch.setattr(arch, "arch_model", Stuck)
    with pytest.raises(OptimizationError, match="did not converge \\(Iteration limit\\)"):
        fit_garch(garch_returns)


def test_log_returns_of_bars() -> None:
    assert log_returns(HAND).to_numpy() == pytest.approx([-0.01, 0.03, -0.01], abs=1e-12)


# ---- Regime ------------------------------------------------------------------------------------------------


def test_regime_label_boundaries() -> None:
    assert [regime_label(p) for p in (0.0, 0.329, 0.33, 0.67, 0.671, 0.95, 0.951, 1.0)] == [
        "low", "low", "normal", "normal", "high", "high", "extreme", "extreme"]


def test_calm_then_turbulent_half() -> None:
    rng = np.random.default_rng(9)
    rets = np.concatenate([rng.normal(0, 0.005, 400), rng.normal(0, 0.03, 100)])
    close = 100 * np.exp(np.cumsum(rets))
    bars = pd.DataFrame({c: close for c in ("open", "high", "low", "close")},
                        index=pd.date_range("2020-01-01", periods=500, freq="B", tz="UTC"))
    vol = close_to_close(bars, 20, 252)
    regime = vol_regime(vol, lookback=500, min_history=100)
    labels = regime.labels
    assert labels.iloc[:119].isna().all() and labels.iloc[119:].notna().all()  # 20 warm-up + 100 history
    assert (labels.iloc[405:421] == "extreme").all()  # turbulence above every calm value seen so far
    assert labels.iloc[421:].isin(["high", "extreme"]).all()  # >= 400 calm values still in the lookback
    calm = labels.iloc[119:400]
    assert calm.isin(["low", "normal"]).mean() > 0.5 and (calm == "low").any()
    assert regime.current in ("high", "extreme") and regime.current == labels.iloc[-1]
    assert regime.current_vol == pytest.approx(vol.iloc[-1]) and regime.current_percentile >= 0.8
    causal = vol_regime(vol.iloc[:450], lookback=500, min_history=100).labels
    assert causal.equals(labels.iloc[:450]), "labels never look ahead"


def test_monotone_vol_gives_extreme_or_low_and_short_history_raises() -> None:
    index = pd.date_range("2020-01-01", periods=200, freq="B", tz="UTC")
    rising = pd.Series(np.linspace(0.1, 0.5, 200), index=index)
    assert vol_regime(rising, lookback=100, min_history=50).current == "extreme"
    assert vol_regime(rising[::-1].set_axis(index), lookback=100, min_history=50).current == "low"
    with pytest.raises(DataError, match="at least 126 vol values, got 100"):
        vol_regime(rising.iloc[:100])
    with pytest.raises(ParameterError):
        vol_regime(rising, lookback=10, min_history=50)
