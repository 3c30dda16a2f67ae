"""Research CLI: backtest/sweep/walkforward/lookahead/strategies in-process, one real subprocess run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.__main__ import main
from engine.backtest import BacktestConfig, run_backtest
from engine.backtest.sweep import run_sweep
from engine.strategies import make_strategy

ROOT = Path(__file__).resolve().parent.parent
STAT_KEYS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate", "profit_factor", "n_trades",
             "final_equity")
SMA = ["--strategy", "sma_cross", "--param", "fast=10", "--param", "slow=20"]


@pytest.fixture
def goog_csv(goog: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "goog.csv"
    frame = goog[["open", "high", "low", "close", "volume"]].copy()
    frame.index = frame.index.strftime("%Y-%m-%d")
    frame.rename_axis("Date").rename(columns=str.title).to_csv(path)
    return path


def strict_json(text: str) -> object:
    """Parse JSON, refusing NaN/Infinity tokens (they are not JSON)."""
    def refuse(token: str) -> None:
        raise AssertionError(f"non-JSON number {token} in output")

    return json.loads(text, parse_constant=refuse)


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def direct_trades(goog: pd.DataFrame, **config: object) -> int:
    strategy = make_strategy("sma_cross", fast=10, slow=20)
    return int(run_backtest(goog, strategy, BacktestConfig(**config)).stats["n_trades"])


# --- backtest -----------------------------------------------------------------------------------


def test_backtest_csv_json(capsys: pytest.CaptureFixture, goog_csv: Path, goog: pd.DataFrame) -> None:
    code, out, _ = run_cli(capsys, "backtest", "--csv", str(goog_csv), *SMA, "--commission", "0.001", "--json")
    assert code == 0
    payload = strict_json(out)
    assert set(STAT_KEYS) <= set(payload["stats"])
    assert payload["stats"]["n_trades"] == len(payload["trades"]) == direct_trades(goog, costs=0.001)
    assert {"entry_time", "exit_time", "pnl", "side", "exit_reason"} <= set(payload["trades"][0])
    assert payload["bars"] == len(goog) and payload["params"]["fast"] == 10


def test_backtest_options_reach_the_config(capsys: pytest.CaptureFixture, goog_csv: Path,
                                           goog: pd.DataFrame) -> None:
    code, out, _ = run_cli(capsys, "backtest", "--csv", str(goog_csv), *SMA, "--commission", "nse_delivery",
                           "--slippage-bps", "5", "--fill", "close", "--sizing", "fixed_amount:50000",
                           "--cash", "200000", "--start", "2006-01-01", "--end", "2010-12-31", "--json")
    assert code == 0
    payload = strict_json(out)
    config = payload["config"]
    assert config["costs"] == "nse_delivery" and config["fill"] == "close" and config["cash"] == 200000
    assert config["sizing"] == "fixed_amount" and config["size_value"] == 50000 and config["slippage_bps"] == 5
    window = goog.loc["2006-01-01":"2010-12-31"]
    assert payload["bars"] == len(window)
    assert payload["stats"]["start"].startswith("2006-01-03") and payload["stats"]["end"].startswith("2010-12-31")
    expected = run_backtest(window, make_strategy("sma_cross", fast=10, slow=20), BacktestConfig(
        cash=200000, costs="nse_delivery", slippage_bps=5, fill="close", sizing="fixed_amount", size_value=50000))
    assert payload["stats"]["final_equity"] == pytest.approx(expected.stats["final_equity"], rel=1e-12)


def test_nan_stats_become_null(capsys: pytest.CaptureFixture, goog_csv: Path) -> None:
    # slow=300 on 40 bars never crosses: no trades, so win rate and sharpe are undefined
    code, out, _ = run_cli(capsys, "backtest", "--csv", str(goog_csv), "--strategy", "sma_cross",
                           "--param", "slow=300", "--end", "2004-10-15", "--json")
    assert code == 0
    stats = strict_json(out)["stats"]
    assert stats["n_trades"] == 0 and stats["win_rate"] is None and stats["sharpe"] is None


def test_backtest_text_output_and_lowercase_headers(capsys: pytest.CaptureFixture, goog: pd.DataFrame,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "lower.csv"
    frame = goog[["open", "high", "low", "close", "volume"]].iloc[:300].copy()
    frame.index = frame.index.strftime("%Y-%m-%d")
    frame.rename_axis("date").to_csv(path)
    code, out, _ = run_cli(capsys, "backtest", "--csv", str(path), *SMA)
    assert code == 0
    assert "300 bars" in out and "sharpe" in out and "n_trades" in out


def test_backtest_from_the_database(capsys: pytest.CaptureFixture, db_engine, goog: pd.DataFrame) -> None:
    from storage.candles import upsert_candles
    from storage.db import transaction

    with transaction(db_engine) as session:
        upsert_candles(session, "GOOG", "1d", goog, "csv")
    code, out, _ = run_cli(capsys, "backtest", "--symbol", "goog", *SMA, "--json")
    assert code == 0
    assert strict_json(out)["stats"]["n_trades"] == direct_trades(goog)


def test_symbol_without_bars_is_a_one_line_error(capsys: pytest.CaptureFixture) -> None:
    code, out, err = run_cli(capsys, "backtest", "--symbol", "INFY.NS", *SMA)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "python -m engine sync --symbols INFY.NS" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--strategy", "sma_crss"], "did you mean 'sma_cross'"),
        (["--strategy", "sma_cross", "--param", "fast"], "--param expects NAME=VALUE"),
        (["--strategy", "sma_cross", "--param", "fsat=3"], "did you mean 'fast'"),
        (["--strategy", "sma_cross", "--param", "fast=50"], "must be smaller than slow"),
        (["--strategy", "sma_cross", "--sizing", "pct_equity"], "--sizing expects MODE:VALUE"),
        (["--strategy", "sma_cross", "--commission", "cheap"], "unknown cost model"),
        (["--strategy", "sma_cross", "--start", "yesterday-ish"], "--start 'yesterday-ish' is not a date"),
    ],
)
def test_user_errors_are_one_line(capsys: pytest.CaptureFixture, goog_csv: Path, argv: list[str],
                                  message: str) -> None:
    code, out, err = run_cli(capsys, "backtest", "--csv", str(goog_csv), *argv)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_csv_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "backtest", "--csv", str(tmp_path / "nope.csv"), *SMA)
    assert code == 1 and "file not found" in err


# --- sweep, walk-forward, lookahead, strategies --------------------------------------------------


def test_sweep_json_matches_run_sweep(capsys: pytest.CaptureFixture, goog_csv: Path, goog: pd.DataFrame) -> None:
    code, out, _ = run_cli(capsys, "sweep", "--csv", str(goog_csv), "--strategy", "sma_cross",
                           "--grid", "fast=5:20:5", "--grid", "slow=20:60:20", "--commission", "0.001",
                           "--top", "3", "--jobs", "1", "--json")
    assert code == 0
    payload = strict_json(out)
    direct = run_sweep(goog, "sma_cross", {"fast": [5, 10, 15, 20], "slow": [20, 40, 60]},
                       BacktestConfig(costs=0.001), n_jobs=1)
    assert payload["best_params"] == direct.best_params
    assert payload["evaluated"] == len(direct.table) == 11 and payload["skipped"] == 1
    assert len(payload["top"]) == 3 and payload["top"][0]["sharpe"] == pytest.approx(direct.best_value)


def test_sweep_param_range_fixed_params_and_errors(capsys: pytest.CaptureFixture, goog_csv: Path) -> None:
    code, out, _ = run_cli(capsys, "sweep", "--csv", str(goog_csv), "--strategy", "sma_cross", "--param-range",
                           "fast", "--param", "slow=40", "--method", "random", "--samples", "8", "--seed", "1",
                           "--jobs", "1", "--json")
    assert code == 0
    top = strict_json(out)["top"]
    assert all(row["slow"] == 40 and row["fast"] % 2 == 0 for row in top)
    code, _, err = run_cli(capsys, "sweep", "--csv", str(goog_csv), "--strategy", "sma_cross")
    assert code == 1 and "choose what to sweep" in err
    code, _, err = run_cli(capsys, "sweep", "--csv", str(goog_csv), "--strategy", "sma_cross", "--grid", "fast=x:9:1")
    assert code == 1 and "--grid expects" in err
    code, _, err = run_cli(capsys, "sweep", "--csv", str(goog_csv), "--strategy", "sma_cross", "--grid",
                           "fast=5:10:5", "--objective", "sharp")
    assert code == 1 and "did you mean 'sharpe'" in err


def test_walkforward_json(capsys: pytest.CaptureFixture, goog_csv: Path) -> None:
    code, out, _ = run_cli(capsys, "walkforward", "--csv", str(goog_csv), "--strategy", "sma_cross",
                           "--grid", "fast=5,10", "--grid", "slow=30,60", "--windows", "3", "--jobs", "1", "--json")
    assert code == 0
    payload = strict_json(out)
    assert len(payload["windows"]) == 3 and "n_trades" in payload["stats"]
    assert payload["windows"][0]["test_start"] > payload["windows"][0]["train_end"]
    code, _, err = run_cli(capsys, "walkforward", "--csv", str(goog_csv), "--strategy", "sma_cross",
                           "--grid", "fast=5,10", "--train-bars", "2000", "--test-bars", "500")
    assert code == 1 and "needs 4500 bars" in err


def test_lookahead_command(capsys: pytest.CaptureFixture, goog_csv: Path) -> None:
    code, out, _ = run_cli(capsys, "lookahead", "--csv", str(goog_csv), "--strategy", "sma_cross", "--checks", "5",
                           "--json")
    assert code == 0
    payload = strict_json(out)
    assert payload["passed"] is True and payload["checked"] == 5
    code, out, _ = run_cli(capsys, "lookahead", "--strategy", "ema_cross", "--checks", "3")
    assert code == 0 and "demo bars" in out and "passed" in out


def test_strategies_lists_params(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run_cli(capsys, "strategies", "--json")
    assert code == 0
    items = {item["name"]: item for item in strict_json(out)}
    assert "sma_cross" in items and items["sma_cross"]["title"]
    fast = next(p for p in items["sma_cross"]["params"] if p["name"] == "fast")
    assert fast == {"name": "fast", "type": "int", "default": 10, "low": 2, "high": 100, "step": 2,
                    "choices": None, "help": fast["help"]} and fast["help"]
    code, out, _ = run_cli(capsys, "strategies")
    assert code == 0 and "sma_cross" in out and "fast" in out


# --- a real process -----------------------------------------------------------------------------


def test_backtest_csv_subprocess(goog_csv: Path, goog: pd.DataFrame) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "backtest", "--csv", str(goog_csv), *SMA, "--commission", "0.001",
         "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    payload = strict_json(proc.stdout)
    assert set(payload) >= {"stats", "trades"}
    assert set(STAT_KEYS) <= set(payload["stats"])
    assert payload["stats"]["n_trades"] == direct_trades(goog, costs=0.001)
