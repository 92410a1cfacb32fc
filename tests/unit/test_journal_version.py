"""A journal written by a newer drctl is refused (exit 2); serialising a run asks no process."""

from __future__ import annotations

import socket

import pytest

from drctl.core.events import JOURNAL_VERSION, Event, JournalTooNew
from drctl.core.run import Run, RunStatus
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0


def started(version: int | None, pid: int = 1) -> Event:
    data = {"kind": "failover", "params": {}, "user": "u", "host": socket.gethostname(),
            "pid": pid}
    if version is not None:
        data["version"] = version
    return Event("fo-1", "run_started", T0, data=data)


def test_a_run_journaled_by_a_newer_drctl_is_refused() -> None:
    with pytest.raises(JournalTooNew, match="newer drctl") as caught:
        Run.from_events([started(JOURNAL_VERSION + 1)])

    assert caught.value.exit_code == 2


def test_older_and_unversioned_journals_are_read() -> None:
    assert Run.from_events([started(JOURNAL_VERSION)]).run_id == "fo-1"
    assert Run.from_events([started(None)]).run_id == "fo-1"


def test_a_store_refuses_to_append_to_a_newer_run() -> None:
    store = MemoryStore()
    with pytest.raises(JournalTooNew):
        store.append(started(JOURNAL_VERSION + 1))


def test_to_dict_reports_the_journaled_status_without_asking_the_os() -> None:
    run = Run.from_events([started(JOURNAL_VERSION, pid=2**22 + 1)])  # no such process

    assert run.to_dict()["status"] == "running"
    assert run.effective_status is RunStatus.INTERRUPTED
    assert run.to_dict(status=run.effective_status)["status"] == "interrupted"
