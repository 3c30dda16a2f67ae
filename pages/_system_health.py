"""Settings → Health: database and migrations, scheduler and jobs, recent log lines, disk, memory, versions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from engine.config import get_settings
from engine.health import HealthReport, format_bytes, health_report
from pages._shared import get_db
from pages._widgets import metric_slots

P = "settings_health"
IST = ZoneInfo("Asia/Kolkata")
STATUS_ICONS = {"ok": "✅ ok", "failed": "❌ failed", "running": "⏳ running", "skipped": "⏭️ skipped",
                "never run": "— never run"}
WARN_STYLE = "background-color: rgba(255, 75, 75, 0.18)"
LOG_HEIGHT = 320  # px: about eight lines, the rest scroll inside the table


@st.cache_data(ttl=10, show_spinner="Checking health…")
def health_cached() -> HealthReport:
    return health_report(get_db(), get_settings())


def _ist(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "—"
    return pd.Timestamp(value).tz_convert(IST).strftime("%d %b %H:%M:%S")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:,.0f} s ago" if seconds < 120 else f"{seconds / 60:,.0f} min ago"


def _database(report: HealthReport) -> None:
    db = report.database
    st.markdown("**Database**")
    st.code(db.url, language=None, wrap_lines=True)
    size = f" · {format_bytes(db.size_bytes)} (incl. -wal)" if db.size_bytes is not None else ""
    st.caption(f"{db.location}{size}")
    if db.is_at_head:
        st.markdown(f"Migrations: :green[at head **{db.head}**]")
    else:
        st.error(f"Migrations behind: the database is at **{db.revision or 'none'}**, the code's head is "
                 f"**{db.head}** — run `python -m engine db upgrade` or restart the app.", icon="🚩")


def _scheduler(report: HealthReport) -> None:
    s = report.scheduler
    here = (f"{s.running_here} running in this process" + (" (holds the lease)" if s.leading_here else "")
            if s.running_here else "none running in this process")
    st.markdown("**Scheduler**")
    st.markdown(f"Mode **{s.mode}** · {here}  \nLease holder: `{s.holder or 'nobody'}` · "
                f"heartbeat {_age(s.heartbeat_age_s)}")
    jobs = report.jobs.assign(
        started_at=report.jobs["started_at"].map(_ist),
        status=report.jobs["status"].map(lambda v: STATUS_ICONS.get(v, v)),
        last_error_at=report.jobs["last_error_at"].map(_ist))
    st.dataframe(jobs[["job", "started_at", "status", "duration_s", "last_error", "last_error_at", "note"]],
                 hide_index=True, width="stretch", key=f"{P}_jobs",
                 column_config={"started_at": "last run (IST)", "duration_s": st.column_config.NumberColumn(
                     "duration (s)", format="%.2f"), "last_error_at": "last error at (IST)",
                     "last_error": st.column_config.TextColumn("last error", width="large")})


def _log(report: HealthReport) -> None:
    st.markdown("**Recent log**")
    if not report.log_lines:
        st.caption("Nothing logged by the engine or storage in this server process yet.")
        return
    st.caption(f"The last {len(report.log_lines)} lines, newest first; warnings and errors highlighted.")
    frame = pd.DataFrame([{"time (IST)": _ist(line.at), "level": line.level, "message": line.message,
                           "logger": line.logger} for line in reversed(report.log_lines)])
    warn = [line.is_warning for line in reversed(report.log_lines)]
    styled = frame.style.apply(lambda row: [WARN_STYLE if warn[row.name] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", height=min(LOG_HEIGHT, 38 + 35 * len(frame)), key=f"{P}_log",
                 column_config={"message": st.column_config.TextColumn(width="large")})


def _system(report: HealthReport) -> None:
    st.markdown("**System**")
    used = (f"{format_bytes(report.disk_free_bytes)} free of {format_bytes(report.disk_total_bytes)}"
            if report.disk_total_bytes else "unknown")
    st.caption(f"Data directory `{report.data_dir}` · disk {used} · memory: this process "
               f"{format_bytes(report.process_rss_bytes)}, system {format_bytes(report.memory_available_bytes)} "
               f"available of {format_bytes(report.memory_total_bytes)}")
    versions = pd.DataFrame({"package": list(report.versions), "version": list(report.versions.values())})
    st.dataframe(versions, hide_index=True, width="stretch", key=f"{P}_versions")


def health_section() -> None:
    """The whole Health tab (refreshed every 10 s at most; "Check now" reads it again)."""
    if st.button("Check now", icon="🔄", key=f"{P}_refresh"):
        health_cached.clear()
    report = health_cached()
    problems = report.problems()
    if problems:
        st.warning("Needs a look: " + "; ".join(problems), icon="🩺")
    else:
        st.success("All checks pass.", icon="🩺")
    m = metric_slots(4)
    m[0].metric("Schema", "at head" if report.database.is_at_head else "behind", border=True,
                help=f"Applied migration {report.database.revision or 'none'}, newest {report.database.head}")
    m[1].metric("Database size", format_bytes(report.database.size_bytes) if report.database.size_bytes is not None
                else "server", border=True)
    m[2].metric("Disk free", format_bytes(report.disk_free_bytes), border=True)
    m[3].metric("Memory (app)", format_bytes(report.process_rss_bytes), border=True)
    st.caption(f"Checked {_ist(report.checked_at)} IST")
    _database(report)
    _scheduler(report)
    _log(report)
    _system(report)
