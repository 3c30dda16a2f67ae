"""Strategy registry and plugin folder: registration rules, broken plugins reported, never fatal."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine.config import ROOT, get_settings
from engine.errors import StrategyError
from engine.strategies import (
    Param,
    PluginProblem,
    Signals,
    Strategy,
    check_signals,
    get_strategy,
    list_strategies,
    load_plugins,
    make_strategy,
    origin,
    register,
    registry,
)

GOOD = """
import pandas as pd
from engine.strategies import Param, Strategy, build_signals

class UpDay(Strategy):
    name = "up_day"
    title = "Up day"
    params = (Param("min_move", float, 0.0, 0.0, 0.1, 0.01, help="Smallest daily return that counts."),)

    def signals(self, bars):
        ret = bars["close"].pct_change()
        return build_signals(bars, self.p, entries_long=ret > self.p["min_move"], exits_long=ret < 0)

class _Helper(Strategy):  # no name: a base class, not registered
    pass
"""


@pytest.fixture(autouse=True)
def restore_registry() -> Iterator[None]:
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


class Flat(Strategy):
    name = "flat_test"
    title = "Flat"
    params = (Param("n", int, 5, 1, 10, 1, help="unused"),)

    def signals(self, bars: pd.DataFrame) -> Signals:
        none = pd.Series(False, index=bars.index)
        return Signals(entries_long=none, exits_long=none)


def test_register_get_make_and_list() -> None:
    assert register(Flat) is Flat
    assert register(Flat) is Flat  # same class again: no-op
    assert get_strategy("flat_test") is Flat
    assert make_strategy("flat_test", n=7).p == {"n": 7}
    assert list_strategies()[-1] is Flat
    assert origin(Flat) != "built-in" and origin(get_strategy("sma_cross")) == "built-in"


def test_register_refuses_a_taken_name() -> None:
    class Impostor(Flat):
        name = "sma_cross"

    with pytest.raises(StrategyError, match="'sma_cross' is already used by SmaCross"):
        register(Impostor)
    assert get_strategy("sma_cross").__name__ == "SmaCross"


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"name": ""}, "needs a `name`"),
        ({"name": "Bad Name"}, "needs a `name`"),
        ({"params": (Param("n", int, 50, 1, 10, 1),)}, "invalid default parameters"),
        ({"params": (Param("n", int, 1), Param("n", int, 2))}, "parameter name twice"),
    ],
)
def test_register_rejects_malformed_classes(attrs: dict, fragment: str) -> None:
    cls = type("Broken", (Flat,), {"name": "broken_test", **attrs})
    with pytest.raises(StrategyError, match=fragment):
        register(cls)


def test_register_requires_signals() -> None:
    cls = type("NoSignals", (Strategy,), {"name": "no_signals"})
    with pytest.raises(StrategyError, match="must implement signals"):
        register(cls)


def test_good_plugin_loads_and_runs(tmp_path: Path, goog: pd.DataFrame) -> None:
    write(tmp_path, "up_day.py", GOOD)
    assert load_plugins(tmp_path) == []
    cls = get_strategy("up_day")
    assert origin(cls) == str((tmp_path / "up_day.py").resolve())
    sig = make_strategy("up_day", min_move=0.02).signals(goog)
    check_signals(sig, goog.index, "up_day")
    assert 0 < sig.entries_long.sum() < len(goog) / 4
    assert "_Helper" not in {c.__name__ for c in list_strategies()}


def test_broken_plugins_are_reported_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "a_good.py", GOOD)
    write(tmp_path, "b_syntax.py", "class Oops(:\n    pass\n")
    write(tmp_path, "c_missing.py", "import quantdesk_no_such_module\n")
    write(tmp_path, "d_raises.py", "raise RuntimeError('boom at import')\n")
    write(tmp_path, "e_empty.py", "X = 1\n")
    write(tmp_path, "f_clash.py", GOOD.replace('"up_day"', '"sma_cross"').replace("UpDay", "Clash"))
    write(tmp_path, "g_exit.py", "import sys\nsys.exit(3)\n")
    write(tmp_path, "_private.py", "raise RuntimeError('must not be imported')\n")
    problems = load_plugins(tmp_path)
    by_file = {p.path.name: p for p in problems}
    expected = ["b_syntax.py", "c_missing.py", "d_raises.py", "e_empty.py", "f_clash.py", "g_exit.py"]
    assert sorted(by_file) == expected
    assert all(isinstance(p, PluginProblem) and isinstance(p, str) for p in problems)
    assert by_file["b_syntax.py"].kind == "syntax" and "line 1" in by_file["b_syntax.py"]
    assert by_file["c_missing.py"].kind == "import"
    assert "'quantdesk_no_such_module'" in by_file["c_missing.py"]
    assert by_file["d_raises.py"].kind == "error" and "boom at import" in by_file["d_raises.py"]
    assert by_file["e_empty.py"].kind == "empty"
    assert by_file["f_clash.py"].kind == "duplicate" and by_file["f_clash.py"].startswith("f_clash.py: ")
    assert by_file["g_exit.py"].kind == "error"
    assert get_strategy("up_day").__name__ == "UpDay"  # the good file still loaded
    assert get_strategy("sma_cross").__module__ == "engine.strategies.sma_cross"  # built-in kept


def test_reloading_a_plugin_replaces_it(tmp_path: Path) -> None:
    path = write(tmp_path, "up_day.py", GOOD)
    assert load_plugins(tmp_path) == []
    first = get_strategy("up_day")
    path.write_text(textwrap.dedent(GOOD).replace('title = "Up day"', 'title = "Up day v2"'))
    assert load_plugins(tmp_path) == []
    assert get_strategy("up_day").title == "Up day v2" and get_strategy("up_day") is not first
    path.write_text("class Broken(:\n")
    assert [p.kind for p in load_plugins(tmp_path)] == ["syntax"]
    with pytest.raises(StrategyError, match="unknown strategy 'up_day'"):
        get_strategy("up_day")


def test_two_files_with_the_same_strategy_name(tmp_path: Path) -> None:
    write(tmp_path, "one.py", GOOD)
    write(tmp_path, "two.py", GOOD)
    problems = load_plugins(tmp_path)
    assert len(problems) == 1 and problems[0].kind == "duplicate" and problems[0].path.name == "two.py"
    assert origin(get_strategy("up_day")).endswith("one.py")


def test_plugin_using_register_decorator(tmp_path: Path) -> None:
    source = GOOD.replace("class UpDay", "from engine.strategies import register\n\n@register\nclass UpDay")
    write(tmp_path, "decorated.py", source)
    assert load_plugins(tmp_path) == []
    assert get_strategy("up_day").__name__ == "UpDay"


def test_missing_folder_and_file_instead_of_folder(tmp_path: Path) -> None:
    assert load_plugins(tmp_path / "nope") == []
    not_a_dir = write(tmp_path, "file.py", GOOD)
    assert [p.kind for p in load_plugins(not_a_dir)] == ["folder"]


def test_example_plugin_in_repo_loads(goog: pd.DataFrame) -> None:
    folder = get_settings().strategies_dir
    assert folder == ROOT / "strategies"
    assert load_plugins(folder) == []
    strategy = make_strategy("example_momentum", stop_loss_pct=0.1)
    sig = strategy.signals(goog)
    check_signals(sig, goog.index, "example_momentum")
    assert sig.entries_long.sum() >= 3 and sig.exits_long.sum() >= 3
    assert sig.stop_loss[sig.entries_long].notna().all()
    with pytest.raises(StrategyError, match="exit_roc"):
        make_strategy("example_momentum", entry_roc=0.01, exit_roc=0.02)
