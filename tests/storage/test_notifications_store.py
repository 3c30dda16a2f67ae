"""Notification storage on a real SQLite file: migration 0008, channels, attempts, the rate-limit count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from engine.errors import DataError
from storage import notifications as store
from storage.db import transaction
from storage.migrate import current_revision, upgrade
from storage.models import Base

TABLES = {"notifications", "notification_channels", "delivery_attempts"}
T0 = datetime(2024, 6, 28, 9, 15, tzinfo=UTC)


def _channel(session, name: str = "desk", rate: int = 30) -> int:  # noqa: ANN001
    return store.add_channel(session, name=name, kind="webhook", config={"url": "http://127.0.0.1:9/x"},
                             rate_limit_per_hour=rate, now=T0)


def test_migration_matches_models_for_notification_tables(db_engine) -> None:  # noqa: ANN001
    assert current_revision(db_engine) >= "0008"
    assert TABLES <= set(inspect(db_engine).get_table_names())
    with db_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []


def test_downgrade_to_0007_and_back(db_engine) -> None:  # noqa: ANN001
    from alembic import command

    from storage.migrate import alembic_config

    cfg = alembic_config(db_engine.url.render_as_string(hide_password=False))
    with db_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    assert not TABLES & set(inspect(db_engine).get_table_names())
    upgrade(db_engine)
    assert TABLES <= set(inspect(db_engine).get_table_names())


def test_recent_deliveries_count_only_ok_attempts_inside_the_window(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        channel = _channel(s)
        other = _channel(s, "other")
        for minutes, status in ((-90, "ok"), (-50, "ok"), (-20, "failed"), (-10, "ok"), (-5, "rate_limited")):
            store.log_attempt(s, channel_id=channel, notification_id=None, attempt=1, status=status,
                              at=T0 + timedelta(minutes=minutes))
        store.log_attempt(s, channel_id=other, notification_id=None, attempt=1, status="ok", at=T0)
    with transaction(db_engine) as s:
        assert store.count_recent_deliveries(s, channel, T0 - timedelta(hours=1)) == 2
        assert store.count_recent_deliveries(s, channel, T0 - timedelta(hours=2)) == 3
    frame = store.attempts_frame(db_engine, channel_id=channel)
    assert list(frame["status"]) == ["rate_limited", "ok", "failed", "ok", "ok"]
    assert str(frame["at"].dt.tz) == "UTC" and set(frame["title"]) == {"(channel test)"}


def test_constraints_and_missing_rows(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        channel = _channel(s)
        with pytest.raises(DataError, match="already exists"):
            _channel(s)
        with pytest.raises(DataError, match="status must be one of"):
            store.log_attempt(s, channel_id=channel, notification_id=None, attempt=1, status="sent")
        with pytest.raises(DataError, match="severity must be one of"):
            store.add_notification(s, title="t", severity="loud")
        with pytest.raises(DataError, match="does not exist"):
            store.update_channel(s, 999, enabled=False)
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        store.log_attempt(s, channel_id=channel, notification_id=None, attempt=0, status="ok")


def test_deleting_a_notification_keeps_its_attempts(db_engine) -> None:  # noqa: ANN001
    from sqlalchemy import delete

    from storage.models import Notification

    with transaction(db_engine) as s:
        channel = _channel(s)
        note = store.add_notification(s, title="Price above 2,900", body="b", now=T0)
        store.log_attempt(s, channel_id=channel, notification_id=note, attempt=1, status="ok", at=T0)
    assert store.attempts_frame(db_engine)["title"].tolist() == ["Price above 2,900"]
    with transaction(db_engine) as s:
        s.execute(delete(Notification))
    frame = store.attempts_frame(db_engine)
    assert frame["notification_id"].isna().all() and len(frame) == 1
