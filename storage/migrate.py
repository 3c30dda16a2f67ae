"""Alembic migrations applied programmatically (start-up and `python -m engine db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the database schema to `revision`; returns the revision now applied."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return ""
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else ""


def head_revision() -> str:
    """The newest revision of the migration scripts: what `upgrade` brings a database to."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""
