"""A run's lease (drctl/core/engine.py, drctl/core/keeper.py): held and renewed by the process
running it, released when it ends, and how another host tells a live run from a dead one."""

from __future__ import annotations

import time

import pytest

from drctl.core.clock import FakeClock, SystemClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked
from drctl.core.identity import Identity
from drctl.core.run import RunStatus, run_lease_name
from drctl.core.store import Store, load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0, FakeStep

HOST_A = Identity("alice", "host-a", 4242, "boot:1")
HOST_B = Identity("bob", "host-b", 4343, "boot:2")


def test_the_running_process_holds_the_lease_and_releases_it_at_the_end(store: Store) -> None:
    engine = Engine(store, FakeClock(T0), identity=HOST_A)
    run_id = engine.start("failover", {})
    lease = store.lease(run_lease_name(run_id))
    assert lease is not None and lease.holder == HOST_A.process_key
    assert lease.expires_at > T0

    engine.execute(run_id, [FakeStep("detect")])

    assert store.lease(run_lease_name(run_id)) is None


def test_the_lease_is_renewed_while_a_step_runs(store: Store) -> None:
    engine = Engine(store, SystemClock(), lease_ttl=0.3)
    run_id = engine.start("drill", {})
    first = store.lease(run_lease_name(run_id))
    assert first is not None
    deadline = time.monotonic() + 10
    while (store.lease(run_lease_name(run_id)) or first).version < 3:
        assert time.monotonic() < deadline, "the lease was not renewed"
        time.sleep(0.05)
    engine.execute(run_id, [FakeStep("restore")])
    assert store.lease(run_lease_name(run_id)) is None


def test_another_host_sees_a_run_live_until_its_lease_expires() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    host_a = Engine(store, clock, identity=HOST_A, lease_ttl=30)
    run_id = host_a.start("failover", {})
    host_a.leases.abandon()  # host-a is gone now: nothing renews the lease any more

    alive = load_run(store, run_id, now=T0, identity=HOST_B)
    assert (alive.effective_status, alive.live, alive.live_by) == (RunStatus.RUNNING, True,
                                                                    "lease")
    with pytest.raises(Blocked) as refused:
        alive.ensure_not_live(force=True)  # a live lease outranks --force
    assert refused.value.hint is not None and "lease" in refused.value.hint

    later = T0.replace(second=31)
    dead = load_run(store, run_id, now=later, identity=HOST_B)
    assert dead.effective_status is RunStatus.INTERRUPTED
    dead.ensure_not_live(force=False)  # no --takeover needed
    assert dead.to_dict()["status"] == "interrupted"


def test_a_resume_waits_for_the_lease_of_the_process_it_takes_over() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    host_a = Engine(store, clock, identity=HOST_A, lease_ttl=30)
    run_id = host_a.start("failover", {})
    host_a.leases.abandon()
    resumer = Engine(store, clock, identity=HOST_B, lease_ttl=30)

    with pytest.raises(Blocked, match="still owned by alice on host-a"):
        resumer.resume(run_id)
    assert [e.type for e in store.events(run_id)] == ["run_started"]  # nothing journaled

    clock.advance(31)
    run = resumer.resume(run_id)
    assert run.owner["host"] == "host-b"
    lease = store.lease(run_lease_name(run_id))
    assert lease is not None and lease.holder == HOST_B.process_key
    resumer.leases.abandon()
