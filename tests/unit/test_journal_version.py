"""A journal written by a newer drctl is refused (exit 2); serialising a run asks no process."""

from __future__ import annotations

import os
import socket

import pytest

from drctl.core.events import JOURNAL_VERSION, Event, JournalTooNew
from drctl.core.identity import Identity
from drctl.core.run import Run, RunStatus, judge_liveness
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


def test_to_dict_asks_no_process_liveness_is_judged_when_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = Run.from_events([started(JOURNAL_VERSION, pid=2**22 + 1)])  # no such process

    def no_process_io(*_: object) -> None:
        raise AssertionError("to_dict asked the OS about a process")

    monkeypatch.setattr(os, "kill", no_process_io)
    assert run.to_dict()["status"] == "running"  # not judged yet: as journaled
    monkeypatch.undo()
    judged = judge_liveness(run, Identity.of_this_process(), None, T0)
    monkeypatch.setattr(os, "kill", no_process_io)
    assert judged.to_dict()["status"] == "interrupted"
    assert judged.effective_status is RunStatus.INTERRUPTED
