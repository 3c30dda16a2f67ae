"""Risk CLI: `risk size` in-process through main() and once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
INFY = ["risk", "size", "--symbol", "INFY.NS", "--entry", "1450", "--stop", "1420", "--capital", "100000",
        "--risk-pct", "2"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_size_infy_json(capsys):
    code, out, err = run(capsys, *INFY, "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert (payload["qty"], payload["amount"], payload["risk_amount"]) == (66, 95_700, 1_980)
    assert (payload["symbol"], payload["currency"], payload["method"]) == ("INFY.NS", "INR", "risk_pct")


def test_size_text_uses_indian_grouping(capsys):
    code, out, _ = run(capsys, *INFY)
    assert code == 0 and out.strip() == "INFY.NS long · risk_pct: 66 shares, amount ₹95,700.00, at risk ₹1,980.00"


@pytest.mark.parametrize(("argv", "message"), [
    (["--stop", "1480"], "must be below the entry"),
    (["--risk-pct", "0"], "(0, 100]"),
    (["--method", "kelly"], "win_rate is required"),
])
def test_bad_input_is_one_line_and_non_zero(capsys, argv, message):
    args = list(INFY)
    for flag, value in zip(argv[::2], argv[1::2]):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    code, out, err = run(capsys, *args, "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_other_methods_and_lot_size(capsys):
    code, out, _ = run(capsys, "risk", "size", "--symbol", "INFY.NS", "--entry", "100", "--capital", "100000",
                       "--method", "kelly", "--win-rate", "0.6", "--payoff", "2", "--lot-size", "30", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["qty"] == 240 and payload["risk_amount"] is None  # 25,000 / 100 → 8 lots of 30
    with pytest.raises(SystemExit) as exit_info:
        main(["risk", "size", "--symbol", "INFY.NS", "--entry", "100", "--capital", "1e5", "--method", "nope"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_size_as_a_subprocess():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "engine", *INFY, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["qty"] == 66
    bad = subprocess.run([sys.executable, "-m", "engine", *INFY[:-1], "-5"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and bad.stderr.startswith("error:")
