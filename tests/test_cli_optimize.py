"""Optimize CLI: stored demo bars in, the engine's weights out; lot allocation; one-line errors; one subprocess run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.__main__ import main
from engine.optimizer import Constraints, OptimizeSpec, optimise
from engine.optimizer.universe import load_universe
from tests.pages.page_helpers import seed_demo_bars

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ("RELIANCE.NS", "TCS.NS", "INFY.NS", "HDFCBANK.NS", "ICICIBANK.NS")
BASE = ["optimize", "--symbols", ",".join(SYMBOLS), "--objective", "min_volatility", "--max-weight", "0.4"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with demo bars of SYMBOLS, seeded once for the module (seeding is the slow part)."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("optimize") / "seeded.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_demo_bars(engine, SYMBOLS)
    engine.dispose()
    return path


@pytest.fixture
def stored(template: Path, tmp_path: Path):  # noqa: ANN201
    """This test's own copy of the seeded database, at the path the settings point to."""
    from storage.db import make_engine

    shutil.copy(template, tmp_path / "quantdesk.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'quantdesk.db'}")
    yield engine
    engine.dispose()


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_weights_equal_the_engine(stored, capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, *BASE, "--json")
    assert code == 0, err
    payload = json.loads(out)
    universe = load_universe(stored, list(SYMBOLS))
    expected = optimise(universe.prices, OptimizeSpec(objective="min_volatility", constraints=Constraints(
        max_weight=0.4, sector_map=universe.sectors)))
    assert payload["weights"] == pytest.approx(expected.weights, abs=1e-9)
    assert payload["volatility"] == pytest.approx(expected.volatility)
    assert sum(payload["weights"].values()) == pytest.approx(1.0, abs=1e-4)
    assert max(payload["weights"].values()) <= 0.4 + 1e-6
    assert payload["bars"] == len(universe.prices) and payload["frequency"] == 252
    assert payload["status"] == "optimal" and "Minimum volatility" in payload["method"]


def test_allocation_uses_stored_lot_sizes_and_indian_grouping(stored, capsys) -> None:  # noqa: ANN001
    from storage.db import transaction
    from storage.instruments import InstrumentInfo, upsert_instrument

    with transaction(stored) as session:
        upsert_instrument(session, InstrumentInfo("TCS.NS", lot_size=25))
    code, out, err = run(capsys, *BASE, "--cash", "1000000", "--json")
    assert code == 0, err
    alloc = json.loads(out)["allocation"]
    rows = {r["symbol"]: r for r in alloc["positions"]}
    assert rows["TCS.NS"]["lot_size"] == 25 and rows["TCS.NS"]["quantity"] % 25 == 0
    assert alloc["invested"] <= 1_000_000 and alloc["leftover"] == pytest.approx(1_000_000 - alloc["invested"])
    assert alloc["currency"] == "INR"
    code, out, _ = run(capsys, *BASE, "--cash", "1000000")
    assert code == 0 and "allocation of ₹10,00,000.00" in out and "leftover cash ₹" in out


def test_frontier_points_and_sector_cap(stored, capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, *BASE, "--sector-cap", "Financial Services=0.25", "--frontier", "6", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["weights"]["HDFCBANK.NS"] + payload["weights"]["ICICIBANK.NS"] <= 0.25 + 1e-4
    returns = [p["expected_return"] for p in payload["frontier"]]
    assert len(returns) == 6 and returns == sorted(returns)


def test_black_litterman_views(stored, capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "optimize", "--symbols", ",".join(SYMBOLS), "--view", "TCS.NS=0.2@1",
                         "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["expected_returns"]["TCS.NS"] == pytest.approx(0.2, abs=1e-9)  # a 100%-confidence view holds
    assert "Black-Litterman (1 views" in payload["method"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--symbols", "RELIANCE.NS,WIPRO.NS,ZZZ.NS"], "no daily bars stored for WIPRO.NS, ZZZ.NS; fetch them with "
                                                   "`python -m engine sync --symbols WIPRO.NS,ZZZ.NS`"),
    (["--max-weight", "0.1"], "max weight 10.0% × 5 assets = 50.0% < 100%"),
    (["--objective", "efficient_risk", "--target-vol", "0.01"], "below the lowest volatility reachable"),
    (["--sector-cap", "Banks=0.2"], "no chosen symbol is in sector Banks"),
    (["--view", "WIPRO.NS=0.1"], "not among the optimised symbols"),
    (["--symbols", "TCS.NS"], "at least two symbols"),
    (["--benchmark", "^NSEI", "--returns", "capm"], "benchmark ^NSEI has no daily bars stored"),
])
def test_errors_are_one_line(stored, capsys, extra: list[str], message: str) -> None:  # noqa: ANN001
    args = list(BASE)
    for flag, value in zip(extra[::2], extra[1::2]):
        if flag in args and flag not in ("--sector-cap", "--view"):
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    code, out, err = run(capsys, *args, "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_optimize_as_a_subprocess(stored) -> None:  # noqa: ANN001
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "engine", *BASE, "--cash", "500000", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)  # stdout is pure JSON (no solver banners)
    assert set(payload["weights"]) == set(SYMBOLS) and payload["allocation"]["leftover"] >= 0
