"""Settings page through AppTest: add channels per kind with validation, masked secrets, send test, edit, delete, log."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from engine import notify
from engine.config import get_settings
from engine.secrets import generate_key
from tests.engine.notify_helpers import WebhookServer, closed_port, fast_notify  # noqa: F401
from tests.pages.page_helpers import ROOT, app, demo_env, empty_db, errors, seeded  # noqa: F401

TOKEN = "hook-Secret-Token-42"


@pytest.fixture
def hook():
    server = WebhookServer()
    yield server
    server.close()


def page_text(at) -> str:  # noqa: ANN001
    """Every text the page shows, widget values included (to prove a secret never comes back)."""
    parts = [str(getattr(e, "value", "")) for kind in ("markdown", "caption", "success", "error", "info", "warning",
                                                       "text_input", "subheader", "title", "metric")
             for e in at.get(kind)]
    parts += [str(getattr(e, "label", "")) for e in at.expander]
    return "\n".join(parts)


def add_webhook(at, name: str, url: str, token: str = TOKEN):  # noqa: ANN001, ANN201
    at.selectbox(key="settings_add_kind").set_value("webhook").run()
    at.text_input(key="settings_add_name").input(name)
    at.text_input(key="settings_add_webhook_url").input(url)
    at.text_input(key="settings_add_webhook_token").input(token)
    return at.button(key="settings_add_submit").click().run()


def test_empty_state(empty_db) -> None:  # noqa: ANN001, F811
    at = app("settings")
    assert not at.exception and not errors(at)
    assert at.title[0].value == "Settings"
    assert any("No channels yet" in i.value for i in at.info)
    assert any("encrypted at rest" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Channels"] == "0"


def test_add_a_webhook_channel_secret_masked_and_send_a_test(empty_db, db_engine, hook) -> None:  # noqa: ANN001, F811
    at = add_webhook(app("settings"), "desk hook", hook.url)
    assert not at.exception and not errors(at)
    assert any("desk hook" in s.value and "added" in s.value for s in at.success)
    assert TOKEN not in page_text(at)  # the typed token is gone from the form too
    assert any("token: •••• set" in c.value for c in at.caption)
    with db_engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_encrypted FROM notification_channels")).scalar_one()
    assert TOKEN not in stored
    [view] = notify.list_channels(db_engine)
    at.button(key=f"settings_ch{view.id}_test").click().run()
    assert not at.exception
    assert any("Test sent through **desk hook**" in s.value for s in at.success)
    assert hook.posts[0].headers["Authorization"] == f"Bearer {TOKEN}"
    log = at.dataframe[0].value  # the delivery log tab
    assert list(log["channel"]) == ["desk hook"] and list(log["title"]) == ["(channel test)"]
    assert list(log["status"]) == ["✅ ok"]
    at.run()
    assert {m.label: m.value for m in at.metric}["Delivered (24 h)"] == "1"


def test_a_failing_test_shows_the_error(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    at = add_webhook(app("settings"), "dead", f"http://127.0.0.1:{closed_port()}/x")
    [view] = notify.list_channels(db_engine)
    at.button(key=f"settings_ch{view.id}_test").click().run()
    assert not at.exception
    [error] = errors(at)
    assert "The test through **dead** failed" in error and "Connection refused" in error


@pytest.mark.parametrize(("kind", "inputs", "message"), [
    ("email", {"name": "mail", "smtp_host": "smtp.example.com", "from_addr": "me@example.com", "to": "bad-address"},
     "the To address 'bad-address' is not a valid email address"),
    ("telegram", {"name": "tg", "chat_id": "-100123"}, "enter the bot token (Telegram)"),
    ("webhook", {"name": "wh", "url": "example.com/hook"}, "enter the webhook URL as http(s)://"),
    ("webhook", {"name": "", "url": "https://example.com/hook"}, "give the channel a name"),
])
def test_validation_messages(empty_db, db_engine, kind, inputs, message) -> None:  # noqa: ANN001, F811
    at = app("settings")
    at.selectbox(key="settings_add_kind").set_value(kind).run()
    for field, value in inputs.items():
        key = "settings_add_name" if field == "name" else f"settings_add_{kind}_{field}"
        at.text_input(key=key).input(value)
    at.button(key="settings_add_submit").click().run()
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)
    assert notify.list_channels(db_engine) == []


def test_email_fields_and_security_choice(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    at = app("settings")
    at.selectbox(key="settings_add_kind").set_value("email").run()
    assert at.text_input(key="settings_add_email_smtp_port").value == "587"
    assert at.text_input(key="settings_add_email_password").proto.type == 1  # PASSWORD
    for field, value in {"smtp_host": "127.0.0.1", "smtp_port": "2525", "from_addr": "alerts@example.com",
                         "to": "me@example.com", "username": "me", "password": "s3cret-pw"}.items():
        at.text_input(key=f"settings_add_email_{field}").input(value)
    at.text_input(key="settings_add_name").input("mail")
    at.selectbox(key="settings_add_email_security").set_value("none")
    at.button(key="settings_add_submit").click().run()
    assert not at.exception and not errors(at)
    [view] = notify.list_channels(db_engine)
    assert view.config["security"] == "none" and view.config["smtp_port"] == 2525
    assert "s3cret-pw" not in page_text(at)


def test_edit_disable_rate_limit_and_delete(empty_db, db_engine, hook) -> None:  # noqa: ANN001, F811
    at = add_webhook(app("settings"), "desk", hook.url)
    [view] = notify.list_channels(db_engine)
    prefix = f"settings_ch{view.id}"
    at.toggle(key=f"{prefix}_enabled").set_value(False)
    at.number_input(key=f"{prefix}_rate").set_value(5)
    at.button(key=f"{prefix}_save").click().run()
    assert not at.exception and not errors(at)
    [view] = notify.list_channels(db_engine)
    assert (view.enabled, view.rate_limit_per_hour, view.secrets_set) == (False, 5, ("token",))
    assert any("disabled" in e.label for e in at.expander)
    at.text_input(key=f"{prefix}_url").input("not a url")
    at.button(key=f"{prefix}_save").click().run()
    assert any("webhook URL" in e for e in errors(at))
    assert at.button(key=f"{prefix}_delete").disabled
    at.checkbox(key=f"{prefix}_confirm").check().run()
    at.button(key=f"{prefix}_delete").click().run()
    assert not at.exception and notify.list_channels(db_engine) == []
    assert any("No channels yet" in i.value for i in at.info)


def test_a_key_from_the_streamlit_secrets_file_is_used(empty_db, db_engine, monkeypatch) -> None:  # noqa: ANN001, F811
    from engine import secrets as key_store

    key = generate_key()
    monkeypatch.delenv("QUANTDESK_SECRET_KEY")
    get_settings.cache_clear()
    monkeypatch.setattr(key_store, "_process_key", "")  # restored after the test: the key is process-wide
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60)
    at.secrets["QUANTDESK_SECRET_KEY"] = key
    at.run()
    assert any("the key from .streamlit/secrets.toml" in c.value for c in at.caption)
    add_webhook(at, "desk", "http://127.0.0.1:9/x")
    assert not errors(at)
    with db_engine.connect() as conn:
        token = conn.execute(text("SELECT secret_encrypted FROM notification_channels")).scalar_one()
    assert TOKEN in Fernet(key.encode()).decrypt(token.encode()).decode()
    assert not (Path(db_engine.url.database).parent / "secret.key").exists()  # no key file was generated


# --- General, Risk & costs and Health tabs -------------------------------------------------------------------

def table_with(at, column: str):  # noqa: ANN001, ANN201
    """The one dataframe shown with `column` (AppTest does not expose dataframe keys)."""
    [found] = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_save_a_watchlist_change_to_the_config_file(empty_db, monkeypatch) -> None:  # noqa: ANN001, F811
    import tomllib

    from engine.config import config_path

    config_path().write_text('# desk settings\nwatchlist = ["RELIANCE.NS"]  # what we watch\nmine = 1\n')
    monkeypatch.delenv("QUANTDESK_WATCHLIST")
    get_settings.cache_clear()
    at = app("settings")  # first start syncs RELIANCE.NS from the demo provider
    watch = at.multiselect(key="settings_cfg_watchlist")
    assert not watch.disabled and watch.value == ["RELIANCE.NS"]
    watch.set_value(["RELIANCE.NS", "infy.ns", "^NSEI"])
    at.button(key="settings_cfg_general_save").click().run()
    assert not at.exception and not errors(at)
    assert [t.value for t in at.toast] == ["Settings saved to quantdesk.toml"]
    assert any(f"Saved to `{config_path()}`" in s.value for s in at.success)
    text = config_path().read_text()
    saved = tomllib.loads(text)
    assert saved["watchlist"] == ["RELIANCE.NS", "INFY.NS", "^NSEI"] and saved["mine"] == 1
    assert "# desk settings" in text and "# what we watch" in text
    assert "provider" not in saved  # set by QUANTDESK_PROVIDER, so not written
    assert get_settings().watchlist == ("RELIANCE.NS", "INFY.NS", "^NSEI")
    assert at.multiselect(key="settings_cfg_watchlist").value == ["RELIANCE.NS", "INFY.NS", "^NSEI"]


def test_an_invalid_cadence_is_rejected_next_to_its_field(empty_db) -> None:  # noqa: ANN001, F811
    from engine.config import config_path

    at = app("settings")
    at.number_input(key="settings_cfg_paper_every_minutes").set_value(0.0)
    at.number_input(key="settings_cfg_news_every_minutes").set_value(45.0)
    at.button(key="settings_cfg_general_save").click().run()
    assert not at.exception
    assert errors(at) == ["must be between 0.5 and 1,440, got 0"]
    assert not config_path().exists() and not at.toast
    at.number_input(key="settings_cfg_paper_every_minutes").set_value(2.0)
    at.button(key="settings_cfg_general_save").click().run()
    assert not errors(at) and get_settings().paper_every_minutes == 2.0 and get_settings().news_every_minutes == 45


def test_env_overridden_fields_are_disabled_with_a_note(empty_db, monkeypatch) -> None:  # noqa: ANN001, F811
    monkeypatch.setenv("QUANTDESK_DEFAULT_SLIPPAGE_BPS", "12")
    get_settings.cache_clear()
    at = app("settings")
    assert not at.exception
    assert at.selectbox(key="settings_cfg_provider").disabled
    assert at.multiselect(key="settings_cfg_watchlist").disabled
    slippage = at.number_input(key="settings_cfg_default_slippage_bps")
    assert slippage.disabled and slippage.value == 12
    assert not at.number_input(key="settings_cfg_sync_every_minutes").disabled
    notes = [c.value for c in at.caption]
    for var in ("QUANTDESK_PROVIDER", "QUANTDESK_WATCHLIST", "QUANTDESK_DEFAULT_SLIPPAGE_BPS"):
        assert any(f"set by {var}" in n for n in notes), var


def test_risk_and_cost_defaults_reach_new_deployments_and_backtests(seeded, monkeypatch) -> None:  # noqa: ANN001, F811
    at = app("settings")
    at.selectbox(key="settings_cfg_default_costs_model").set_value("nse_futures").run()
    at.number_input(key="settings_cfg_default_slippage_bps").set_value(8.0)
    at.number_input(key="settings_cfg_default_max_open_positions").set_value(3)
    at.number_input(key="settings_cfg_default_max_position_pct").set_value(10.0)
    at.number_input(key="settings_cfg_default_max_sector_pct").set_value(40.0)
    at.number_input(key="settings_cfg_default_max_drawdown_pct").set_value(15.0)
    at.number_input(key="settings_cfg_default_losing_streak").set_value(4)
    at.button(key="settings_cfg_risk_save").click().run()
    assert not at.exception and not errors(at)
    cfg = get_settings()
    assert (cfg.default_costs, cfg.default_slippage_bps, cfg.default_max_open_positions) == ("nse_futures", 8, 3)
    paper = app("paper")
    assert not paper.exception
    assert paper.selectbox(key="paper_new_cost_model").value == "nse_futures"
    assert paper.number_input(key="paper_new_slippage").value == 8.0
    assert paper.number_input(key="paper_new_max_open").value == 3
    assert paper.number_input(key="paper_new_sector_pct").value == 40.0
    assert paper.number_input(key="paper_new_drawdown").value == 15.0
    assert paper.number_input(key="paper_new_streak").value == 4
    paper.button(key="paper_deploy").click().run()
    assert not paper.exception and not errors(paper)
    from engine.paper import deployments
    from storage.paper import list_deployments

    [dep_id] = list_deployments(get_db_engine()).loc[:, "id"].tolist()
    dep = deployments.get(get_db_engine(), int(dep_id))
    assert dep["config"]["costs"] == "nse_futures" and dep["config"]["slippage_bps"] == 8.0
    assert dep["risk"]["limits"] == {"max_open_positions": 3, "max_position_value": 10_000.0,  # 10 % of ₹1,00,000
                                     "max_sector_exposure_pct": 40.0}
    assert dep["risk"]["breaker"]["max_drawdown_pct"] == 15.0
    assert dep["risk"]["breaker"]["max_consecutive_losses"] == 4 and "daily_loss_pct" not in dep["risk"]["breaker"]


def get_db_engine():  # noqa: ANN201
    from pages._shared import get_db

    return get_db()


def test_health_tab_shows_the_migration_head_and_a_job_run(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    from datetime import UTC, datetime, timedelta

    from storage import scheduler_runs as runs
    from storage.db import transaction
    from storage.migrate import head_revision

    with transaction(db_engine) as s:
        run_id = runs.start_job_run(s, "sync", "host:1:abc", started_at=datetime.now(UTC) - timedelta(minutes=5))
    with transaction(db_engine) as s:
        runs.finish_job_run(s, run_id, "ok")
    at = app("settings")
    assert not at.exception and not errors(at)
    assert any(f"at head **{head_revision()}**" in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Schema"] == "at head"
    jobs = table_with(at, "job").set_index("job")
    assert jobs.at["sync", "status"] == "✅ ok" and jobs.at["news", "status"] == "— never run"
    assert any("Mode **off**" in m.value for m in at.markdown)
    versions = table_with(at, "package").set_index("package")
    assert versions.at["streamlit", "version"][0].isdigit()
    assert [t.label for t in at.tabs if t.label in ("General", "Risk & costs", "Notifications", "Health")] == [
        "General", "Risk & costs", "Notifications", "Health"]


def test_a_cadence_change_restarts_the_scheduler_of_this_process(empty_db, monkeypatch) -> None:  # noqa: ANN001, F811
    import time
    from datetime import UTC, datetime

    from engine.scheduler import running_schedulers
    from pages._shared import get_scheduler

    monkeypatch.setenv("QUANTDESK_SCHEDULER", "thread")
    get_settings.cache_clear()
    at = app("settings")
    first = get_scheduler()  # as app.py starts it
    at.number_input(key="settings_cfg_alert_every_minutes").set_value(3.0)
    at.button(key="settings_cfg_general_save").click().run()
    assert not at.exception and not errors(at)
    assert any("The scheduler restarted with the new settings" in s.value for s in at.success)
    [second] = running_schedulers()  # the first one was shut down, not left running beside it
    assert second is not first and not first.running and second.settings.alert_every_minutes == 3.0
    deadline = time.monotonic() + 20
    while not second.is_leader and time.monotonic() < deadline:  # it takes the lease the first one released
        time.sleep(0.1)
    assert second.is_leader
    due = second.next_run_times()
    assert set(due) == {"sync", "paper_tick", "alert_check", "news"}
    wait_s = (datetime.fromisoformat(due["alert_check"]) - datetime.now(UTC)).total_seconds()
    assert 150 < wait_s <= 180  # the new 3-minute cadence
    at.number_input(key="settings_cfg_news_every_minutes").set_value(30.0)  # unchanged: no restart
    at.button(key="settings_cfg_general_save").click().run()
    assert running_schedulers() == [second]
    assert not any("restarted" in s.value for s in at.success)


def test_an_unwritable_config_file_is_an_error_not_a_traceback(empty_db, monkeypatch, tmp_path) -> None:  # noqa: ANN001, F811
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("QUANTDESK_CONFIG", str(tmp_path / "not-a-folder" / "quantdesk.toml"))
    get_settings.cache_clear()
    at = app("settings")
    at.number_input(key="settings_cfg_news_every_minutes").set_value(45.0)
    at.button(key="settings_cfg_general_save").click().run()
    assert not at.exception
    assert [e for e in errors(at) if e.startswith("Not saved: could not write the config file")]
