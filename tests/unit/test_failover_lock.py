"""The failover lock's policy: a holder that died before its run started is taken over; any
other holder blocks, naming itself and the ways out."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked
from drctl.core.events import Event
from drctl.core.identity import Identity
from drctl.failover import lock
from drctl.store.base import LockHolder
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0

DEAD_PID = 2**22 + 4321  # above Linux's pid_max: never a live process
ME = Identity.of_this_process()


def held_by(store: MemoryStore, run_id: str, host: str, pid: int) -> None:
    store.acquire_lock(LockHolder("failover:roadtrip", run_id, "alice", host, pid, T0))


def test_a_dead_holder_whose_run_never_started_is_taken_over() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    held_by(store, "fa-ghost", socket.gethostname(), DEAD_PID)
    taken = lock.acquire(store, "roadtrip", "fa-new", clock, ME)
    assert taken.run_id == "fa-new" and store.lock("failover:roadtrip") == taken


def test_a_live_holder_whose_run_has_not_started_yet_blocks() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    held_by(store, "fa-starting", socket.gethostname(), os.getpid())
    with pytest.raises(Blocked, match="in progress"):
        lock.acquire(store, "roadtrip", "fa-new", clock, ME)


def test_another_hosts_never_started_holder_is_gone_only_after_the_grace() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    held_by(store, "fa-far", "another-host", 123)
    with pytest.raises(Blocked) as held:
        lock.acquire(store, "roadtrip", "fa-new", clock, ME)
    # No run to show or resume yet: the hint names neither, but when the lock frees itself.
    hint = held.value.hint or ""
    assert "runs show" not in hint and "--resume" not in hint
    assert "from 2026-" in hint and "a new failover takes its lock over" in hint
    clock.advance(lock.NEVER_STARTED_GRACE + 1)
    assert lock.acquire(store, "roadtrip", "fa-new", clock, ME).run_id == "fa-new"


def test_a_dead_holder_whose_run_started_is_never_taken_over() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    store.append(Event("fa-crashed", "run_started", T0, data={
        "kind": "failover", "params": {}, "user": "alice", "host": socket.gethostname(),
        "pid": DEAD_PID}))
    held_by(store, "fa-crashed", socket.gethostname(), DEAD_PID)
    clock.advance(timedelta(days=1).total_seconds())
    with pytest.raises(Blocked) as refused:
        lock.acquire(store, "roadtrip", "fa-new", clock, ME)
    assert "interrupted" in str(refused.value)
    assert refused.value.hint is not None and "--resume fa-crashed" in refused.value.hint


def test_another_hosts_crashed_failover_is_interrupted_once_its_lease_expires() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    far = Identity("alice", "host-that-died", 4242, "boot:1")
    far_engine = Engine(store, clock, identity=far, lease_ttl=30)
    run_id = far_engine.start("failover", {})
    far_engine.leases.abandon()  # the host dies: nothing renews the lease
    store.acquire_lock(LockHolder("failover:roadtrip", run_id, "alice", far.host, far.pid, T0))

    with pytest.raises(Blocked, match="in progress") as live:
        lock.acquire(store, "roadtrip", "fa-new", clock, ME)
    assert live.value.hint is not None and "once its lease expires" in live.value.hint

    clock.advance(31)  # nothing renewed it: host-that-died is gone
    with pytest.raises(Blocked, match="is interrupted") as dead:
        lock.acquire(store, "roadtrip", "fa-new", clock, ME)
    assert dead.value.hint is not None and f"--resume {run_id}" in dead.value.hint
    assert "--takeover" not in dead.value.hint
