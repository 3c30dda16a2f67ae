"""Options CLI: `options price|iv|chain` in-process through main() (chain fetch stubbed) and once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from engine.__main__ import main
from engine.options import chain as oc
from tests.engine.test_options_chain import EXPIRY, fake_download

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from py_vollib.black_scholes_merton import black_scholes_merton as pv_price
    from py_vollib.black_scholes_merton.greeks import analytical as pv

ROOT = Path(__file__).resolve().parents[1]
PRICE = ["options", "price", "--spot", "100", "--strike", "105", "--days", "30", "--rate", "0.07", "--vol", "0.2",
         "--type", "call"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_price_json_has_price_and_every_greek(capsys):
    code, out, err = run(capsys, *PRICE, "--json")
    assert code == 0, err
    got = json.loads(out)
    args = ("c", 100, 105, 30 / 365, 0.07, 0.2, 0.0)
    assert got["years"] == pytest.approx(30 / 365)
    assert got["price"] == pytest.approx(pv_price(*args), rel=1e-9)
    assert got["delta"] == pytest.approx(pv.delta(*args), rel=1e-9)
    assert got["gamma"] == pytest.approx(pv.gamma(*args), rel=1e-9)
    assert got["theta_per_day"] == pytest.approx(pv.theta(*args), rel=1e-9)
    assert got["theta"] == pytest.approx(pv.theta(*args) * 365, rel=1e-9)
    assert got["vega_pct"] == pytest.approx(pv.vega(*args), rel=1e-9)
    assert got["rho_pct"] == pytest.approx(pv.rho(*args), rel=1e-9)


def test_price_text_and_dividend(capsys):
    code, out, _ = run(capsys, *PRICE)
    assert code == 0 and out.startswith("call 105 on 100, 30 days, vol 20.00%: price 0.7675 · delta 0.2352")
    _, with_div, _ = run(capsys, *PRICE, "--div", "0.03", "--json")
    _, without, _ = run(capsys, *PRICE, "--json")
    assert json.loads(with_div)["price"] < json.loads(without)["price"]  # a dividend yield cheapens a call


def test_iv_round_trips_the_price(capsys):
    _, out, _ = run(capsys, *[a if a != "call" else "put" for a in PRICE], "--json")
    price = json.loads(out)["price"]
    code, out, err = run(capsys, "options", "iv", "--spot", "100", "--strike", "105", "--days", "30", "--rate", "0.07",
                         "--price", repr(price), "--type", "put", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["iv"] == pytest.approx(0.2, rel=1e-9) and got["greeks"]["price"] == pytest.approx(price)


@pytest.mark.parametrize(("change", "message"), [
    (("--rate", "7"), "rate 7 looks like a percent; pass 0.07"),
    (("--vol", "20"), "vol 20 looks like a percent; pass 0.2"),
    (("--div", "3"), "div 3 looks like a percent; pass 0.03"),
    (("--spot", "0"), "spot must be greater than 0"),
    (("--days", "0"), "days to expiry must be greater than 0"),
    (("--vol", "0"), "volatility must be greater than 0"),
])
def test_bad_price_input_is_one_line_and_non_zero(capsys, change, message):
    args = list(PRICE)
    flag, value = change
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    code, out, err = run(capsys, *args, "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_iv_out_of_bounds_is_a_clear_error(capsys):
    code, out, err = run(capsys, "options", "iv", "--spot", "100", "--strike", "105", "--days", "30", "--rate", "0.07",
                         "--price", "0.5", "--type", "put")
    assert code == 1 and out == "" and "below its discounted intrinsic value" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as info:
        main(["options", "price", "--spot", "100", "--strike", "105", "--days", "30", "--rate", "0.07", "--vol", "0.2",
              "--type", "straddle"])
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_chain_json_and_text(capsys, monkeypatch):
    monkeypatch.setattr(oc, "_download", fake_download())
    code, out, err = run(capsys, "options", "chain", "--symbol", "AAPL", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert (got["symbol"], got["expiry"], got["max_pain"], got["pcr_volume"]) == ("AAPL", EXPIRY, 100.0, 0.55)
    assert got["pcr_open_interest"] == pytest.approx(500 / 650, abs=1e-6)
    assert [r["strike"] for r in got["calls"]] == [90, 95, 100, 110] and "model_iv" not in got["calls"][0]
    code, out, _ = run(capsys, "options", "chain", "--symbol", "AAPL")
    assert code == 0 and "max pain 100.00" in out and "put-call ratio OI 0.77, volume 0.55" in out


def test_chain_nse_and_offline_errors(capsys, monkeypatch):
    code, out, err = run(capsys, "options", "chain", "--symbol", "INFY.NS", "--json")
    assert code == 1 and out == "" and "not available for NSE from Yahoo" in err and err.count("\n") == 1

    def offline(*_):
        raise ConnectionError("cannot resolve query2.finance.yahoo.com")

    monkeypatch.setattr(oc, "_download", offline)
    code, out, err = run(capsys, "options", "chain", "--symbol", "AAPL")
    assert code == 1 and err.startswith("error: cannot reach Yahoo Finance") and err.count("\n") == 1


def test_options_as_a_subprocess():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "engine", *PRICE, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["price"] == pytest.approx(0.7675, abs=1e-4)
    bad = subprocess.run([sys.executable, "-m", "engine", *PRICE[:-5], "7", "--vol", "0.2"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr == "error: rate 7 looks like a percent; pass 0.07\n"
