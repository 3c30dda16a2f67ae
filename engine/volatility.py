"""Volatility research: OHLC range estimators, a GARCH(1,1) forecast and a vol-regime label (annualised, decimal)."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DataError, OptimizationError, ParameterError

OHLC = ("open", "high", "low", "close")
ESTIMATORS = {
    "close_to_close": "Close-to-close",
    "parkinson": "Parkinson",
    "garman_klass": "Garman-Klass",
    "rogers_satchell": "Rogers-Satchell",
    "yang_zhang": "Yang-Zhang",
}
CONVENTIONS = ("annualised volatility, decimal (0.20 = 20%): per-bar variance of log prices × periods per year "
               "(252 for equities and indices, 365 for crypto), then the square root; rolling windows of n bars, "
               "sample (n-1) variances where the formula demeans")
MIN_GARCH_RETURNS = 250  # about a year of daily returns; fewer and the three GARCH parameters are poorly pinned
REGIMES = ("low", "normal", "high", "extreme")
REGIME_CUTS = {"low": 0.33, "high": 0.67, "extreme": 0.95}  # percentile of current vol within its own history


# ---- Input checks ---------------------------------------------------------------------------------


def _check_whole(value: int, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ParameterError(f"{name} must be a whole number of bars >= {low}, got {value!r}")


def _check_params(window: int, periods_per_year: float) -> None:
    _check_whole(window, "window", 2)
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, numbers.Real) or not periods_per_year > 0:
        raise ParameterError(f"periods_per_year must be positive (252 equities, 365 crypto), got {periods_per_year!r}")


def log_ohlc(bars: pd.DataFrame, window: int, min_bars: int | None = None) -> pd.DataFrame:
    """Natural logs of open, high, low, close; raises DataError when the bars cannot give a `window` estimate.

    `min_bars` defaults to window + 1 (estimators that need the previous close).
    """
    if not isinstance(bars, pd.DataFrame):
        raise DataError(f"bars must be a DataFrame with columns open, high, low, close, got {type(bars).__name__}")
    missing = [c for c in OHLC if c not in bars.columns]
    if missing:
        raise DataError(f"bars miss column(s) {', '.join(missing)}: expected open, high, low, close")
    try:
        prices = bars[list(OHLC)].astype(np.float64)
    except (TypeError, ValueError):
        raise DataError("bars open, high, low, close must be numbers; convert them to float") from None
    bad = prices.isna().any(axis=1) | ~np.isfinite(prices).all(axis=1)
    if bad.any():
        raise DataError(f"bars have missing or infinite prices (first at {prices.index[bad.to_numpy()][0]}): "
                        "repair them on the Data page or with `python -m engine data validate --fix`")
    non_positive = (prices <= 0).any(axis=1)
    if non_positive.any():
        raise DataError(f"prices must be above zero for log returns (first bad bar at "
                        f"{prices.index[non_positive.to_numpy()][0]}); repair or drop that bar")
    inverted = prices["high"] < prices["low"]
    if inverted.any():
        raise DataError(f"high below low at {prices.index[inverted.to_numpy()][0]}: repair that bar")
    need = window + 1 if min_bars is None else min_bars
    if len(prices) < need:
        raise DataError(f"a {window}-bar volatility window needs at least {need} bars, got {len(prices)}: "
                        "load a longer history or shorten the window")
    return np.log(prices)


def _annualise(variance: pd.Series, periods_per_year: float) -> pd.Series:
    # clip: rolling sums can leave -1e-18 where the true variance is zero
    return np.sqrt(variance.clip(lower=0.0) * periods_per_year)


# ---- Estimators: Series aligned to the bars, NaN during warm-up ---------------------------------------


def close_to_close(bars: pd.DataFrame, window: int = 20, periods_per_year: float = 252) -> pd.Series:
    """Sample std (ddof=1) of the last `window` log close-to-close returns, annualised; first valid at bar `window`."""
    _check_params(window, periods_per_year)
    logs = log_ohlc(bars, window)
    returns = logs["close"].diff()
    return _annualise(returns.rolling(window).var(ddof=1), periods_per_year).rename("close_to_close")


def parkinson(bars: pd.DataFrame, window: int = 20, periods_per_year: float = 252) -> pd.Series:
    """Parkinson (1980): variance = mean(ln(H/L)^2) / (4 ln 2), annualised; first valid at bar window-1."""
    _check_params(window, periods_per_year)
    logs = log_ohlc(bars, window, window)
    hl2 = (logs["high"] - logs["low"]) ** 2
    return _annualise(hl2.rolling(window).mean() / (4.0 * math.log(2.0)), periods_per_year).rename("parkinson")


def garman_klass(bars: pd.DataFrame, window: int = 20, periods_per_year: float = 252) -> pd.Series:
    """Garman-Klass (1980): variance = mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2), annualised."""
    _check_params(window, periods_per_year)
    logs = log_ohlc(bars, window, window)
    per_bar = 0.5 * (logs["high"] - logs["low"]) ** 2 - (2.0 * math.log(2.0) - 1.0) * (logs["close"] - logs["open"]) ** 2
    return _annualise(per_bar.rolling(window).mean(), periods_per_year).rename("garman_klass")


def _rogers_satchell_terms(logs: pd.DataFrame) -> pd.Series:
    """ln(H/C) ln(H/O) + ln(L/C) ln(L/O) per bar (drift-free, zero for a bar without wicks)."""
    return ((logs["high"] - logs["close"]) * (logs["high"] - logs["open"])
            + (logs["low"] - logs["close"]) * (logs["low"] - logs["open"]))


def rogers_satchell(bars: pd.DataFrame, window: int = 20, periods_per_year: float = 252) -> pd.Series:
    """Rogers-Satchell (1991): variance = mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O)), annualised."""
    _check_params(window, periods_per_year)
    logs = log_ohlc(bars, window, window)
    return _annualise(_rogers_satchell_terms(logs).rolling(window).mean(), periods_per_year).rename("rogers_satchell")


def yang_zhang_k(window: int) -> float:
    """Yang-Zhang weight k = 0.34 / (1.34 + (n+1)/(n-1)) that minimises the estimator's variance."""
    return 0.34 / (1.34 + (window + 1) / (window - 1))


def yang_zhang(bars: pd.DataFrame, window: int = 20, periods_per_year: float = 252) -> pd.Series:
    """Yang-Zhang (2000): var(overnight) + k var(open-to-close) + (1-k) Rogers-Satchell, annualised.

    Overnight = ln(O_t / C_t-1), open-to-close = ln(C_t / O_t), both sample variances (ddof=1);
    first valid at bar `window` (the first bar has no previous close).
    """
    _check_params(window, periods_per_year)
    logs = log_ohlc(bars, window)
    overnight = logs["open"] - logs["close"].shift(1)
    open_close = logs["close"] - logs["open"]
    k = yang_zhang_k(window)
    variance = (overnight.rolling(window).var(ddof=1) + k * open_close.rolling(window).var(ddof=1)
                + (1.0 - k) * _rogers_satchell_terms(logs).rolling(window).mean())
    return _annualise(variance, periods_per_year).rename("yang_zhang")


ESTIMATOR_FUNCS: dict[str, Callable[[pd.DataFrame, int, float], pd.Series]] = {
    "close_to_close": close_to_close, "parkinson": parkinson, "garman_klass": garman_klass,
    "rogers_satchell": rogers_satchell, "yang_zhang": yang_zhang,
}


def volatility_table(bars: pd.DataFrame, window: int = 20, periods_per_year: float = 252) -> pd.DataFrame:
    """All five estimators as columns (ESTIMATORS keys), aligned to the bars; raises DataError/ParameterError."""
    return pd.DataFrame({name: fn(bars, window, periods_per_year) for name, fn in ESTIMATOR_FUNCS.items()})


def log_returns(bars: pd.DataFrame) -> pd.Series:
    """Log close-to-close returns (decimal), the first bar dropped; raises DataError on unusable bars."""
    return log_ohlc(bars, 1, 2)["close"].diff().iloc[1:].rename("log_return")


# ---- GARCH(1,1) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GarchFit:
    """A fitted GARCH(1,1) with normal errors on log returns × 100 (arch's scale; omega is in %² per bar).

    Vols are annualised decimals. `forecast` is indexed by horizon h = 1..H with columns "forward"
    (vol of bar h alone) and "term" (vol over bars 1..h, the term structure). `long_run_vol` is NaN
    when persistence >= 1 (no finite long-run variance).
    """

    mu: float
    omega: float
    alpha: float
    beta: float
    persistence: float
    long_run_vol: float
    conditional_vol: pd.Series
    forecast: pd.DataFrame
    periods_per_year: float
    n_obs: int
    log_likelihood: float

    def as_dict(self) -> dict[str, Any]:
        """Parameters and the forecast as plain JSON-friendly values (conditional series left out)."""
        lr = None if math.isnan(self.long_run_vol) else self.long_run_vol
        return {"mu": self.mu, "omega": self.omega, "alpha": self.alpha, "beta": self.beta,
                "persistence": self.persistence, "long_run_vol": lr,
                "current_vol": float(self.conditional_vol.iloc[-1]), "n_obs": self.n_obs,
                "log_likelihood": self.log_likelihood, "periods_per_year": self.periods_per_year,
                "forecast": [{"h": int(h), "forward": float(r.forward), "term": float(r.term)}
                             for h, r in self.forecast.iterrows()]}


def _clean_garch_returns(returns: pd.Series, horizon: int, periods_per_year: float) -> pd.Series:
    if not isinstance(returns, pd.Series):
        raise DataError(f"returns must be a pandas Series of log returns, got {type(returns).__name__}")
    _check_params(2, periods_per_year)
    _check_whole(horizon, "horizon", 1)
    values = returns.astype(np.float64).dropna()
    if not np.isfinite(values.to_numpy()).all():
        raise DataError("returns contain infinite values: check the prices they came from")
    if len(values) < MIN_GARCH_RETURNS:
        raise DataError(f"a GARCH(1,1) fit needs at least {MIN_GARCH_RETURNS} returns, got {len(values)}: "
                        "load a longer history")
    if values.max() == values.min():
        raise DataError("returns are constant: a GARCH model needs prices that move")
    return values


def fit_garch(returns: pd.Series, *, periods_per_year: float = 252, horizon: int = 60) -> GarchFit:
    """Fit GARCH(1,1) (constant mean, normal errors) to decimal log returns and forecast `horizon` bars.

    Raises DataError for too-short or unusable returns and OptimizationError when the fit fails
    or does not converge.
    """
    from arch import arch_model

    values = _clean_garch_returns(returns, horizon, periods_per_year)
    model = arch_model(values * 100.0, vol="GARCH", p=1, q=1, mean="Constant", dist="normal")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scale and start-value notes; convergence is checked below
            res = model.fit(disp="off", show_warning=False)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise OptimizationError(f"the GARCH(1,1) fit failed ({exc}); try a longer or cleaner history") from None
    if res.convergence_flag != 0:
        message = getattr(res.optimization_result, "message", "no detail")
        raise OptimizationError(f"the GARCH(1,1) fit did not converge ({message}); try a longer or cleaner history")
    p = res.params
    omega, alpha, beta = float(p["omega"]), float(p["alpha[1]"]), float(p["beta[1]"])
    persistence = alpha + beta
    scale = math.sqrt(periods_per_year) / 100.0  # % per bar -> annualised decimal
    long_run = math.sqrt(omega / (1.0 - persistence)) * scale if persistence < 1 else math.nan
    variance = res.forecast(horizon=horizon, reindex=False).variance.iloc[-1].to_numpy()
    steps = np.arange(1, horizon + 1)
    forecast = pd.DataFrame({"forward": np.sqrt(variance) * scale,
                             "term": np.sqrt(np.cumsum(variance) / steps) * scale},
                            index=pd.Index(steps, name="h"))
    conditional = (res.conditional_volatility * scale).rename("garch")
    return GarchFit(mu=float(p["mu"]) / 100.0, omega=omega, alpha=alpha, beta=beta, persistence=persistence,
                    long_run_vol=long_run, conditional_vol=conditional, forecast=forecast,
                    periods_per_year=periods_per_year, n_obs=len(values), log_likelihood=float(res.loglikelihood))


# ---- Regime -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolRegime:
    """Regime per bar ("low" / "normal" / "high" / "extreme", None while the history is too short),
    the percentile (0–1) it came from, and the latest values."""

    labels: pd.Series
    percentile: pd.Series
    current: str
    current_percentile: float
    current_vol: float


def regime_label(percentile: float) -> str:
    """'extreme' above the 95th percentile, 'high' above the 67th, 'low' below the 33rd, else 'normal'."""
    if percentile > REGIME_CUTS["extreme"]:
        return "extreme"
    if percentile > REGIME_CUTS["high"]:
        return "high"
    return "low" if percentile < REGIME_CUTS["low"] else "normal"


def vol_regime(vol: pd.Series, *, lookback: int = 756, min_history: int = 126) -> VolRegime:
    """Label each bar by where its vol ranks among the last `lookback` values (itself included).

    The percentile is the share of those values <= the current one, so it uses no future bar.
    Raises DataError when fewer than `min_history` vol values exist.
    """
    if not isinstance(vol, pd.Series):
        raise DataError(f"vol must be a pandas Series, got {type(vol).__name__}")
    if not 2 <= min_history <= lookback:
        raise ParameterError(f"need 2 <= min_history <= lookback, got {min_history} and {lookback}")
    clean = vol.astype(np.float64)
    n_valid = int(clean.notna().sum())
    if n_valid < min_history:
        raise DataError(f"a volatility regime needs at least {min_history} vol values, got {n_valid}: "
                        "load a longer history or shorten the window")
    pct = clean.rolling(lookback, min_periods=min_history).rank(pct=True, method="max")
    labels = pd.Series([None if math.isnan(x) else regime_label(x) for x in pct.to_numpy()],
                       index=vol.index, dtype=object, name="regime")
    last = pct.last_valid_index()
    if last is None:
        raise DataError(f"no bar has {min_history} vol values within its {lookback}-bar lookback")
    return VolRegime(labels=labels, percentile=pct.rename("percentile"), current=str(labels[last]),
                     current_percentile=float(pct[last]), current_vol=float(clean[last]))
