"""Portfolio CLI in-process: import (idempotent, malformed), add, show, transactions, delete, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.__main__ import main

TRADEBOOK = """symbol,isin,trade_date,exchange,segment,series,trade_type,auction,quantity,price,trade_id,order_id,order_execution_time
RELIANCE,INE002A01018,2024-01-05,NSE,EQ,EQ,buy,false,10,2510.50,55501234,1100000012345678,2024-01-05T09:20:11
TCS,INE467B01029,2024-02-01,NSE,EQ,EQ,buy,false,2,3800,77001,1200000000000001,2024-02-01T10:01:00
NIFTY24FEB22000CE,,2024-02-01,NFO,FO,,buy,false,50,120,88001,1300000000000001,2024-02-01T11:00:00
RELIANCE,INE002A01018,2024-03-01,NSE,EQ,EQ,sell,false,4,2900,55509999,1100000099999999,2024-03-01T14:59:59
"""


@pytest.fixture(autouse=True)
def _demo_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.config import get_settings

    monkeypatch.setenv("QUANTDESK_PROVIDER", "demo")
    get_settings.cache_clear()


def run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _file(tmp_path: Path, text: str, name: str = "tradebook.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_import_twice_then_show(capsys, tmp_path: Path) -> None:  # noqa: ANN001
    path = _file(tmp_path, TRADEBOOK)
    code, out, err = run(capsys, "portfolio", "import", path, "--json")
    assert code == 0, err
    assert json.loads(out) == {"format": "zerodha", "rows": 3, "added": 3, "duplicates": 0,
                               "skipped": ["line 4: segment FO is not equity delivery; left out"]}
    code, out, _ = run(capsys, "portfolio", "import", path)
    assert code == 0 and out.startswith("zerodha tradebook: 3 trades read, 0 added, 3 already imported")

    code, out, err = run(capsys, "portfolio", "show", "--json")
    assert code == 0, err
    payload = json.loads(out)
    holdings = {h["symbol"]: h for h in payload["holdings"]}
    assert holdings["RELIANCE.NS"]["qty"] == 6 and holdings["TCS.NS"]["qty"] == 2
    assert holdings["RELIANCE.NS"]["realised"] == pytest.approx(4 * (2900 - 2510.5))
    assert payload["totals"]["value"] == pytest.approx(sum(h["value"] for h in payload["holdings"]))
    assert payload["totals"]["xirr"] is not None and payload["benchmark"] == "^NSEI"
    assert {a["sector"] for a in payload["allocation"]} == {"Energy", "Information Technology"}
    assert payload["demo_symbols"]  # the demo provider stood in for the market

    from engine.data.sync import load_bars
    from storage.db import make_engine

    db = make_engine(f"sqlite:///{tmp_path / 'quantdesk.db'}")
    last = float(load_bars(db, "TCS.NS", "1d")["close"].iloc[-1])
    assert holdings["TCS.NS"]["value"] == pytest.approx(2 * last)  # synced on demand, valued at the last close

    code, out, _ = run(capsys, "portfolio", "show")
    assert code == 0 and "RELIANCE.NS" in out and "XIRR" in out and "₹" in out and "sectors: " in out


def test_malformed_import_is_one_line_and_stores_nothing(capsys, tmp_path: Path) -> None:  # noqa: ANN001
    bad = TRADEBOOK.replace("buy,false,2,3800", "buy,false,two,3800")
    code, out, err = run(capsys, "portfolio", "import", _file(tmp_path, bad), "--json")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("error: 1 row(s) could not be read, nothing was imported: line 3: quantity 'two'")
    code, out, _ = run(capsys, "portfolio", "transactions", "--json")
    assert code == 0 and json.loads(out) == []
    code, _, err = run(capsys, "portfolio", "import", str(tmp_path / "missing.csv"))
    assert code == 1 and "no file at" in err


def test_add_list_delete_and_bad_input(capsys) -> None:  # noqa: ANN001
    add = ["portfolio", "add", "--kind", "buy", "--symbol", "INFY.NS", "--qty", "10", "--price", "1500",
           "--date", "2024-01-05"]
    code, out, err = run(capsys, *add, "--json")
    assert code == 0, err
    first = json.loads(out)
    assert (first["kind"], first["symbol"], first["qty"], first["trade_date"]) == ("buy", "INFY.NS", 10.0, "2024-01-05")
    code, out, _ = run(capsys, "portfolio", "add", "--kind", "split", "--symbol", "INFY.NS", "--ratio", "1:2",
                       "--date", "2024-02-01")
    assert code == 0 and out.startswith("transaction 2 added: split INFY.NS")
    for argv, message in [
        (["--kind", "sell", "--qty", "25", "--date", "2024-03-01"], "sell of 25 INFY.NS on 2024-03-01 exceeds the 20"),
        (["--date", "05/01/2024"], "--date must look like 2024-01-05"),
        (["--date", "2999-01-01"], "transactions cannot be in the future"),
        (["--qty", "0"], "quantity must be greater than 0"),
        (["--kind", "bonus", "--ratio", "1-1"], "ratio must look like 1:5"),
    ]:
        args = list(add)
        for flag, value in zip(argv[::2], argv[1::2]):
            if flag in args:
                args[args.index(flag) + 1] = value
            else:
                args += [flag, value]
        code, out, err = run(capsys, *args)
        assert code == 1 and out == "" and err.count("\n") == 1 and message in err, (argv, err)
    code, out, _ = run(capsys, "portfolio", "transactions", "--json")
    rows = json.loads(out)
    assert [r["kind"] for r in rows] == ["split", "buy"] and rows[0]["ratio_to"] == 2.0
    code, _, err = run(capsys, "portfolio", "delete", "999")
    assert code == 1 and err == "error: no transaction with id 999 in portfolio 'Main'\n"
    code, out, _ = run(capsys, "portfolio", "delete", str(rows[0]["id"]), str(rows[1]["id"]), "--json")
    assert code == 0 and json.loads(out) == {"deleted": 2}


def test_empty_portfolio_show_and_report(capsys, tmp_path: Path) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, "portfolio", "show", "--no-sync")
    assert code == 0 and "has no transactions yet" in out
    code, out, err = run(capsys, "portfolio", "report", "--out", str(tmp_path / "r.html"))
    assert code == 1 and "nothing to report" in err
    code, _, err = run(capsys, "portfolio", "show", "--portfolio", "Other")
    assert code == 1 and "no portfolio called 'Other'" in err


def test_report_writes_a_tear_sheet(capsys, tmp_path: Path) -> None:  # noqa: ANN001
    run(capsys, "portfolio", "import", _file(tmp_path, TRADEBOOK))
    out_path = tmp_path / "reports" / "portfolio.html"
    code, out, err = run(capsys, "portfolio", "report", "--out", str(out_path), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["out"] == str(out_path) and payload["benchmark"] == "^NSEI"
    html = out_path.read_text(encoding="utf-8")
    assert "Portfolio Main" in html and "<html" in html.lower() and payload["bytes"] == len(html.encode())
    code, out, _ = run(capsys, "portfolio", "report", "--out", str(tmp_path / "plain.html"), "--benchmark", "")
    assert code == 0 and "(no benchmark prices)" in out
