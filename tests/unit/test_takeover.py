"""Taking over a run whose process cannot be seen (another host): refused unless forced."""

from __future__ import annotations

import os
import socket

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked
from drctl.core.events import Event
from drctl.core.run import RunStatus
from drctl.store.base import Store, load_run
from tests.unit.helpers import T0


def start_run(store: Store, host: str, pid: int) -> str:
    store.append(Event("fa-1", "run_started", T0, data={
        "kind": "failover", "params": {}, "user": "alice", "host": host, "pid": pid}))
    store.append(Event("fa-1", "step_started", T0, "detect", {"index": 1, "total": 6}))
    return "fa-1"


def test_a_run_on_another_host_is_not_taken_over_without_force(store: Store,
                                                                 clock: FakeClock) -> None:
    run_id = start_run(store, "host-that-died", 4242)
    run = load_run(store, run_id)
    assert run.effective_status is RunStatus.RUNNING  # cannot tell from here

    with pytest.raises(Blocked) as refused:
        Engine(store, clock).abort(run_id, "host lost")
    assert refused.value.hint is not None and "--force" in refused.value.hint

    aborted = Engine(store, clock).abort(run_id, "host lost", force=True)
    assert aborted.status is RunStatus.ABORTED and "host lost" in (aborted.error or "")


def test_a_live_process_on_this_host_is_never_taken_over(store: Store, clock: FakeClock) -> None:
    run_id = start_run(store, socket.gethostname(), os.getpid())
    with pytest.raises(Blocked) as refused:
        load_run(store, run_id).ensure_not_live(force=True)
    assert refused.value.hint == "stop that process first"
    with pytest.raises(Blocked):
        Engine(store, clock).abort(run_id, "mine", force=True)


def test_a_dead_process_on_this_host_needs_no_force(store: Store, clock: FakeClock) -> None:
    run_id = start_run(store, socket.gethostname(), 2**22 + 12345)  # no such pid
    run = load_run(store, run_id)
    assert run.effective_status is RunStatus.INTERRUPTED
    run.ensure_not_live(force=False)
    assert Engine(store, clock).abort(run_id, "crashed").status is RunStatus.ABORTED


def test_the_refusal_names_the_command_that_takes_the_run_over(store: Store) -> None:
    run_id = start_run(store, "host-that-died", 4242)
    with pytest.raises(Blocked) as refused:
        load_run(store, run_id).ensure_not_live(
            force=False, override=f"drctl failover --resume {run_id} --takeover")
    assert refused.value.hint is not None
    assert refused.value.hint.endswith(f"`drctl failover --resume {run_id} --takeover`")
