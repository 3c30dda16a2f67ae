"""Charges CLI: `costs` in-process through main() and once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
DELIVERY = ["costs", "--segment", "delivery", "--buy", "1000", "--sell", "1100", "--qty", "100", "--as-of", "2025-01-01"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_delivery_json_has_every_component(capsys):
    code, out, err = run(capsys, *DELIVERY, "--json")
    assert code == 0, err
    p = json.loads(out)
    # worked by hand in tests/engine/test_charges.py: STT 210, exchange 6.237, SEBI 0.21, stamp 15, DP 13.5,
    # GST 18 % × (6.237 + 0.21 + 13.5) = 3.59046 → 248.53746
    assert p["components"] == pytest.approx({"brokerage": 0.0, "stt": 210.0, "exchange": 6.237, "sebi": 0.21,
                                             "stamp": 15.0, "ipft": 0.0, "dp": 13.5, "gst": 3.59046})
    assert (p["total"], p["gross_pnl"], p["net_pnl"]) == pytest.approx((248.53746, 10_000, 9_751.46254))
    assert p["points_to_breakeven"] == pytest.approx(2.4853746)
    assert p["breakeven_sell"] == pytest.approx(100_134.5526 / 99.8963774)
    assert (p["exchange"], p["segment"], p["effective"], p["currency"]) == ("NSE", "delivery", "2024-10-01", "INR")
    assert p["buy"]["total"] + p["sell"]["total"] == pytest.approx(p["total"])


def test_text_uses_indian_grouping(capsys):
    code, out, _ = run(capsys, *DELIVERY)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("NSE delivery · 100 bought at ₹1,000.00, sold at ₹1,100.00")
    assert "rates effective 2024-10-01" in lines[0]
    assert any(line.split() == ["Total", "charges", "₹248.54"] for line in lines)
    assert any(line.split() == ["Net", "P&L", "₹9,751.46"] for line in lines)
    assert any(line.split() == ["Gross", "P&L", "₹10,000.00"] for line in lines)
    assert "sell at ₹1,002.38 or higher" in out
    assert "IPFT" not in out  # zero optional components are left out of the text


def test_futures_lots_brokerage_and_exchange(capsys):
    code, out, err = run(capsys, "costs", "--segment", "futures", "--buy", "24000", "--sell", "24100", "--lots", "2",
                         "--lot-size", "75", "--exchange", "bse", "--brokerage-flat", "20", "--brokerage-pct",
                         "0.03", "--as-of", "2025-01-01", "--json")
    assert code == 0, err
    p = json.loads(out)
    # 150 units: buy 36,00,000, sell 36,15,000; brokerage 0.03 % > ₹20 on both → 40; BSE futures: no txn charge
    assert p["qty"] == 150 and p["exchange"] == "BSE"
    assert p["components"]["brokerage"] == pytest.approx(40.0) and p["components"]["exchange"] == 0.0
    assert p["components"]["stt"] == pytest.approx(3_615_000 * 0.0002)
    assert p["brokerage"] == "0.03% of value, at most ₹20 per order"


def test_percent_brokerage_with_cap_and_no_dp(capsys):
    code, out, _ = run(capsys, *DELIVERY, "--brokerage-pct", "0.5", "--brokerage-cap", "100", "--dp-charge", "0",
                       "--json")
    p = json.loads(out)
    # 0.5 % of 1,00,000 = 500 → cap 100; of 1,10,000 = 550 → 100
    assert code == 0 and p["components"]["brokerage"] == pytest.approx(200.0) and p["components"]["dp"] == 0.0


def test_a_schedule_file_and_date_pick_the_rates(capsys, tmp_path):
    text = (ROOT / "engine" / "data" / "charges_schedule.toml").read_text(encoding="utf-8")
    entry = text[text.index("\n[[entry]]") + 1:].replace("effective = 2024-10-01", "effective = 2025-06-01")
    path = tmp_path / "schedule.toml"
    path.write_text(text + "\n" + entry.replace("sebi_per_crore = 10.0", "sebi_per_crore = 20.0"), encoding="utf-8")
    _, before, _ = run(capsys, *DELIVERY, "--schedule", str(path), "--json")
    _, after, _ = run(capsys, *DELIVERY[:-1], "2025-06-01", "--schedule", str(path), "--json")
    assert json.loads(before)["components"]["sebi"] == pytest.approx(0.21)
    assert json.loads(after)["components"]["sebi"] == pytest.approx(0.42)
    assert json.loads(after)["effective"] == "2025-06-01"


@pytest.mark.parametrize(("argv", "message"), [
    (["--segment", "deliverry"], "did you mean 'delivery'"),
    (["--exchange", "MCX"], "unknown exchange 'MCX'"),
    (["--qty", "0"], "quantity must be at least 1"),
    (["--buy", "0"], "buy price must be above 0"),
    (["--sell", "-1"], "sell price must be above 0"),
    (["--as-of", "2024-01-01"], "no charges schedule entry in force on 2024-01-01"),
    (["--brokerage-pct", "30"], "--brokerage-pct is a percent"),
    (["--brokerage-cap", "50"], "--brokerage-cap needs --brokerage-pct"),
    (["--lots", "2"], "either --qty"),
    (["--schedule", "/nonexistent/charges.toml"], "not found"),
])
def test_bad_input_is_one_line_and_non_zero(capsys, argv, message):
    args = list(DELIVERY)
    for flag, value in zip(argv[::2], argv[1::2]):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    code, out, err = run(capsys, *args, "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_lots_need_a_lot_size(capsys):
    code, _, err = run(capsys, *[a for a in DELIVERY if a not in ("--qty", "100")], "--lots", "1")
    assert code == 1 and "--lots needs --lot-size" in err


def test_bad_date_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*DELIVERY[:-1], "01/01/2025"])
    assert exit_info.value.code == 2 and "is not a date like 2025-01-01" in capsys.readouterr().err


def test_costs_as_a_subprocess():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "engine", *DELIVERY, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == pytest.approx(248.53746)
    bad = subprocess.run([sys.executable, "-m", "engine", *DELIVERY[:-3], "-5"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and bad.stderr.startswith("error:")
