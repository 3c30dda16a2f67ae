"""Volatility CLI: `vol` on stored demo bars in-process, with GARCH, bad input, and once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.__main__ import main
from tests.pages.page_helpers import NOW, SYMBOLS, seed_demo_bars

ROOT = Path(__file__).resolve().parents[1]
SYMBOL = SYMBOLS[0]  # RELIANCE.NS


@pytest.fixture
def stored(db_engine):  # noqa: ANN001, ANN201
    seed_demo_bars(db_engine, (SYMBOL,))
    return db_engine


def run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_vol_json_matches_the_engine(stored, capsys) -> None:  # noqa: ANN001
    from engine.data.sync import load_bars
    from engine.volatility import ESTIMATORS, vol_regime, volatility_table

    code, out, err = run(capsys, "vol", "--symbol", "reliance.ns", "--json")
    assert code == 0, err
    payload = json.loads(out)
    table = volatility_table(load_bars(stored, SYMBOL, "1d", adjusted=True), 20, 252)
    assert (payload["symbol"], payload["window"], payload["periods_per_year"]) == (SYMBOL, 20, 252)
    assert payload["bars"] == len(table) and payload["last"] == table.index[-1].date().isoformat()
    assert list(payload["current"]) == list(ESTIMATORS)
    for name in ESTIMATORS:
        assert payload["current"][name] == pytest.approx(table[name].iloc[-1], rel=1e-12)
    regime = vol_regime(table["close_to_close"], lookback=756, min_history=126)
    assert payload["regime"]["label"] == regime.current
    assert payload["regime"]["percentile"] == pytest.approx(regime.current_percentile)
    assert "garch" not in payload and "annualised" in payload["conventions"]


def test_vol_window_periods_and_garch(stored, capsys) -> None:  # noqa: ANN001
    from engine.data.sync import load_bars
    from engine.volatility import fit_garch, log_returns, yang_zhang

    code, out, err = run(capsys, "vol", "--symbol", SYMBOL, "--window", "60", "--periods-per-year", "365",
                         "--garch", "--horizon", "10", "--json")
    assert code == 0, err
    payload = json.loads(out)
    bars = load_bars(stored, SYMBOL, "1d", adjusted=True)
    assert payload["current"]["yang_zhang"] == pytest.approx(yang_zhang(bars, 60, 365).iloc[-1], rel=1e-12)
    fit = fit_garch(log_returns(bars), periods_per_year=365, horizon=10)
    garch = payload["garch"]
    assert garch["alpha"] == pytest.approx(fit.alpha) and garch["beta"] == pytest.approx(fit.beta)
    assert [p["h"] for p in garch["forecast"]] == list(range(1, 11))
    assert garch["forecast"][-1]["term"] == pytest.approx(fit.forecast["term"].iloc[-1])


def test_vol_text_output(stored, capsys) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, "vol", "--symbol", SYMBOL, "--garch")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"{SYMBOL} · 20-bar volatility, annualised (×√252), adjusted daily bars")
    assert [line.split()[0] for line in lines[1:6]] == ["Close-to-close", "Parkinson", "Garman-Klass",
                                                        "Rogers-Satchell", "Yang-Zhang"]
    assert lines[6].startswith("regime") and "percentile" in lines[6]
    assert lines[7].startswith("GARCH(1,1)") and lines[8].startswith("vol over next") and "60d" in lines[8]


@pytest.mark.parametrize(("argv", "message"), [
    (["--symbol", "INFY.NS"], "no 1d bars stored for INFY.NS"),
    (["--symbol", SYMBOL, "--window", "1"], "window must be a whole number of bars >= 2"),
    (["--symbol", SYMBOL, "--window", "5000"], "needs at least 5001 bars"),
    (["--symbol", SYMBOL, "--garch", "--horizon", "0"], "horizon must be"),
])
def test_bad_input_is_one_line_and_non_zero(stored, capsys, argv: list[str], message: str) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "vol", *argv, "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_short_history_reports_regime_note_and_garch_error(db_engine, capsys) -> None:  # noqa: ANN001
    from engine.data.providers.demo import DemoProvider
    from engine.data.sync import sync_symbols

    sync_symbols(db_engine, ["INFY.NS"], "1d", start=NOW - pd.Timedelta(days=60), provider=DemoProvider(now=NOW))
    code, out, err = run(capsys, "vol", "--symbol", "INFY.NS", "--json")
    payload = json.loads(out)
    assert code == 0, err
    assert payload["regime"] is None and "at least 126 vol values" in payload["regime_note"]
    code, out, err = run(capsys, "vol", "--symbol", "INFY.NS", "--garch")
    assert code == 1 and out == "" and "at least 250 returns" in err and err.count("\n") == 1


def test_vol_as_a_subprocess(stored) -> None:  # noqa: ANN001
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the per-test database URL is in the environment
    done = subprocess.run([sys.executable, "-m", "engine", "vol", "--symbol", SYMBOL, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["symbol"] == SYMBOL
