"""Settings store: round trip through the config TOML, validation messages, env overrides, atomic in-place writes."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path

import pytest

from engine import settings_store as store
from engine import toml_lines
from engine.config import Settings, config_path, get_settings
from engine.errors import ConfigError
from engine.settings_store import SettingsInvalid, cost_choice, cost_spec, env_overrides, save_settings

TODAY = date(2024, 6, 28)
EDITED = {
    "watchlist": ["infy.ns", "^NSEI", "M&M.NS", "EURUSD=X", "BTC-USD"],
    "provider": "demo",
    "history_start": date(2018, 4, 2),
    "sync_every_minutes": 30,
    "paper_every_minutes": 2.5,
    "alert_every_minutes": 2,
    "news_every_minutes": 60,
    "default_costs": "nse_futures",
    "default_slippage_bps": 7.5,
    "default_max_open_positions": 4,
    "default_max_position_pct": 25,
    "default_max_sector_pct": 40,
    "default_daily_loss_pct": 3,
    "default_max_drawdown_pct": 12.5,
    "default_losing_streak": 5,
}
HAND_WRITTEN = """\
# my desk
database_url = "sqlite:///data/quantdesk.db"       # any SQLAlchemy URL
watchlist = [
  "RELIANCE.NS",
  "TCS.NS",
]
sync_every_minutes = 15                            # data sync cadence
my_own_key = "keep me"

[my_table]
answer = 42
"""


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the conftest's database URL and config path come from the environment."""
    for name in list(os.environ):
        if name.upper().startswith("QUANTDESK_") and name.upper() not in ("QUANTDESK_DATABASE_URL",
                                                                            "QUANTDESK_CONFIG"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()


def test_round_trip_through_the_config_file() -> None:
    result = save_settings(EDITED, today=TODAY)
    assert result.path == config_path() and result.path.parent != Path.cwd()
    assert result.skipped == {} and result.changed == frozenset(EDITED)
    assert result.needs_scheduler_restart
    cfg = get_settings()  # the cache was cleared by the save
    assert cfg.watchlist == ("INFY.NS", "^NSEI", "M&M.NS", "EURUSD=X", "BTC-USD")
    assert (cfg.provider, cfg.history_start, cfg.default_costs) == ("demo", "2018-04-02", "nse_futures")
    assert (cfg.sync_every_minutes, cfg.paper_every_minutes, cfg.news_every_minutes) == (30, 2.5, 60)
    assert (cfg.default_max_open_positions, cfg.default_losing_streak) == (4, 5)
    assert (cfg.default_max_position_pct, cfg.default_max_drawdown_pct, cfg.default_slippage_bps) == (25, 12.5, 7.5)
    written = tomllib.loads(result.path.read_text())
    assert written["sync_every_minutes"] == 30 and isinstance(written["sync_every_minutes"], int)  # not 30.0
    assert written["history_start"] == "2018-04-02" and "secret_key" not in written
    again = save_settings({"sync_every_minutes": 30}, today=TODAY)
    assert again.changed == frozenset() and not again.needs_scheduler_restart


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"watchlist": ["INFY.NS", "infy.ns"]}, "watchlist", "INFY.NS is listed twice"),
    ({"watchlist": "INFY.NS, tata/motors"}, "watchlist", "'TATA/MOTORS' is not"),  # text: split and upper-cased
    ({"watchlist": ["RELIANCE INDUSTRIES"]}, "watchlist", "is not a Yahoo-style ticker"),
    ({"watchlist": ["A" * 21]}, "watchlist", "longer than 20 characters"),
    ({"watchlist": [f"S{i}" for i in range(101)]}, "watchlist", "at most 100 symbols"),
    ({"provider": "bloomberg"}, "provider", "choose yfinance or demo"),
    ({"history_start": "2024-06-29"}, "history_start", "is in the future"),
    ({"history_start": "28/06/2024"}, "history_start", "is not a date (YYYY-MM-DD)"),
    ({"sync_every_minutes": 0}, "sync_every_minutes", "must be between 1 and 1,440, got 0"),
    ({"paper_every_minutes": -1}, "paper_every_minutes", "must be between 0.5 and 1,440"),
    ({"news_every_minutes": 2000}, "news_every_minutes", "got 2000"),
    ({"alert_every_minutes": "soon"}, "alert_every_minutes", "'soon' is not a number"),
    ({"alert_every_minutes": float("nan")}, "alert_every_minutes", "finite"),
    ({"default_losing_streak": 2.5}, "default_losing_streak", "must be a whole number"),
    ({"default_daily_loss_pct": 101}, "default_daily_loss_pct", "between 0 and 100"),
    ({"default_costs": "pct:7"}, "default_costs", "between 0 and 5"),
    ({"default_costs": "nse_swaps"}, "default_costs", "segment"),
    ({"default_costs": "free"}, "default_costs", "unknown cost model"),
    ({"secret_key": "abc"}, "secret_key", "is not a setting the Settings page edits"),
    ({"database_url": "sqlite://"}, "database_url", "is not a setting"),
])
def test_invalid_values_are_refused_with_a_message_and_nothing_is_written(values, field, message) -> None:  # noqa: ANN001
    with pytest.raises(SettingsInvalid) as caught:
        save_settings({"sync_every_minutes": 20, **values}, today=TODAY)
    assert message in caught.value.errors[field], caught.value.errors
    assert list(caught.value.errors) == [field]  # the valid value beside it is not blamed
    assert store.label(field) in str(caught.value) or field in str(caught.value)
    assert not config_path().exists()


def test_a_bad_value_already_in_the_file_is_reported_through_settings() -> None:
    config_path().write_text('scheduler = "cron"\n')
    with pytest.raises(SettingsInvalid) as caught:
        save_settings({"sync_every_minutes": 20}, today=TODAY)
    assert "scheduler must be 'thread', 'worker' or 'off'" in caught.value.errors["scheduler"]
    assert config_path().read_text() == 'scheduler = "cron"\n'


def test_a_file_that_is_not_toml_is_left_alone() -> None:
    config_path().write_text("watchlist = [oops\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        save_settings({"sync_every_minutes": 20}, today=TODAY)
    assert config_path().read_text() == "watchlist = [oops\n"


def test_environment_overrides_are_detected_and_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTDESK_SYNC_EVERY_MINUTES", "7")
    monkeypatch.setenv("quantdesk_provider", "demo")  # pydantic-settings ignores the case of names
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    overrides = env_overrides()
    assert overrides["sync_every_minutes"] == "QUANTDESK_SYNC_EVERY_MINUTES"
    assert overrides["provider"] == "quantdesk_provider"
    assert overrides["database_url"] == "QUANTDESK_DATABASE_URL"  # first of its aliases present
    assert "watchlist" not in overrides
    assert env_overrides({"DATABASE_URL": "x"}) == {"database_url": "DATABASE_URL"}
    result = save_settings({"sync_every_minutes": 45, "provider": "yfinance", "news_every_minutes": 90},
                           today=TODAY)
    assert result.skipped == {"sync_every_minutes": "QUANTDESK_SYNC_EVERY_MINUTES", "provider": "quantdesk_provider"}
    assert tomllib.loads(config_path().read_text()) == {"news_every_minutes": 90}
    cfg = get_settings()
    assert (cfg.sync_every_minutes, cfg.provider, cfg.news_every_minutes) == (7, "demo", 90)


def test_in_place_write_keeps_other_keys_tables_and_comments() -> None:
    config_path().write_text(HAND_WRITTEN)
    save_settings({"watchlist": ["INFY.NS"], "sync_every_minutes": 5, "default_costs": "flat:20"}, today=TODAY)
    text = config_path().read_text()
    data = tomllib.loads(text)
    assert data["my_own_key"] == "keep me" and data["my_table"] == {"answer": 42}
    assert data["database_url"] == "sqlite:///data/quantdesk.db"
    assert (data["watchlist"], data["sync_every_minutes"], data["default_costs"]) == (["INFY.NS"], 5, "flat:20.0")
    assert text.startswith("# my desk\n")
    assert "sync_every_minutes = 5                             # data sync cadence\n" in text  # comment column kept
    assert text.index("default_costs") < text.index("[my_table]")  # new keys stay top-level
    assert "# any SQLAlchemy URL" in text


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config_path().write_text(HAND_WRITTEN)
    config_path().chmod(0o640)

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(toml_lines.os, "replace", boom)
        with pytest.raises(OSError, match="disk full"):
            save_settings({"sync_every_minutes": 5}, today=TODAY)
    assert config_path().read_text() == HAND_WRITTEN
    assert [p.name for p in config_path().parent.iterdir() if p.name.endswith(".tmp")] == []
    save_settings({"sync_every_minutes": 5}, today=TODAY)
    assert config_path().stat().st_mode & 0o777 == 0o640  # the file keeps its permissions


@pytest.mark.parametrize(("before", "after"), [
    ("", 'provider = "demo"\nwatchlist = ["A", "B"]\n'),
    ('provider = "yfinance"', 'provider = "demo"\nwatchlist = ["A", "B"]\n'),  # no final newline
    ('note = """two\nlines"""\nprovider = "x" # why\n', 'note = """two\nlines"""\nprovider = "demo"  # why\n'
     'watchlist = ["A", "B"]\n'),
    ('provider = "x"\n\n[t]\nprovider = "inner"\n', 'provider = "demo"\nwatchlist = ["A", "B"]\n\n[t]\n'
     'provider = "inner"\n'),
])
def test_set_top_level_edits_only_top_level_statements(before: str, after: str) -> None:
    assert toml_lines.set_top_level(before, {"provider": "demo", "watchlist": ("A", "B")}) == after


def test_a_value_that_would_not_read_back_is_refused() -> None:
    with pytest.raises(ConfigError, match="edit it by hand"):
        toml_lines.set_top_level("[t]\nx = 1\n", {"t": 2})  # a table cannot become a value in place


@pytest.mark.parametrize(("spec", "choice"), [
    ("pct:0.1", ("percent", 0.1)), ("0.002", ("percent", 0.2)), ("flat:20", ("flat", 20.0)), ("none", ("none", None)),
    ("", ("none", None)), ("nse_delivery", ("nse_delivery", None)), ("BSE_Intraday", ("bse_intraday", None)),
    ("garbage", ("percent", 0.1)),
])
def test_cost_choice_maps_specs_to_the_form(spec: str, choice: tuple) -> None:
    model, number = cost_choice(spec)
    assert model == choice[0] and (number == pytest.approx(choice[1]) if choice[1] is not None else number is None)


def test_every_form_choice_round_trips_through_a_spec() -> None:
    from pages._widgets import COST_MODELS

    for model in COST_MODELS:
        number = {"percent": 0.25, "flat": 15.0}.get(model)
        assert cost_choice(cost_spec(model, number)) == (model, number)
        Settings(default_costs=cost_spec(model, number))  # Settings accepts every spec the form writes
