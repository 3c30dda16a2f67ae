"""The app starts the job scheduler once per server process (not per session or rerun), or none."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from engine.config import get_settings
from engine.jobs import LEASE_NAME
from engine.scheduler import running_schedulers
from storage.scheduler_runs import get_lease, lease_holder
from tests.engine.scheduler_helpers import wait_for
from tests.pages.page_helpers import ROOT, demo_env, fresh_streamlit_caches, seeded  # noqa: F401


def _session() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run(timeout=90)
    assert not at.exception
    return at


def test_one_scheduler_per_process_across_reruns_and_sessions(seeded, db_engine, monkeypatch) -> None:  # noqa: ANN001, F811
    monkeypatch.setenv("QUANTDESK_SCHEDULER", "thread")
    get_settings.cache_clear()
    first = _session()
    first.run(timeout=90)  # a rerun
    _session()  # a second browser session
    live = running_schedulers()
    assert len(live) == 1 and live[0].running
    wait_for(lambda: live[0].is_leader)
    assert lease_holder(db_engine, LEASE_NAME) == live[0].owner
    fresh_streamlit_caches()  # clearing the resource (e.g. after an edit) shuts the scheduler down
    assert running_schedulers() == [] and not live[0].running
    wait_for(lambda: get_lease(db_engine, LEASE_NAME) is None)
    _session()
    assert len(running_schedulers()) == 1  # started again, once
    fresh_streamlit_caches()


@pytest.mark.parametrize("mode", ["off", "worker"])
def test_no_scheduler_when_off_or_run_by_a_worker(seeded, db_engine, monkeypatch, mode: str) -> None:  # noqa: ANN001, F811
    monkeypatch.setenv("QUANTDESK_SCHEDULER", mode)
    get_settings.cache_clear()
    at = _session()
    at.run(timeout=90)
    assert running_schedulers() == []
    assert get_lease(db_engine, LEASE_NAME) is None
