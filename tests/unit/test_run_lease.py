"""A run's lease (drctl/core/engine.py, drctl/core/keeper.py): held and renewed by the process
running it, released when it ends, and how another host tells a live run from a dead one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drctl.core.clock import FakeClock, SystemClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked
from drctl.core.identity import Identity
from drctl.core.run import RunStatus, run_lease_name
from drctl.core.store import Store, load_run
from drctl.store.memory import MemoryStore
from drctl.store.sqlite import SqliteStore
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


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from drctl.core.clock import SystemClock
    from drctl.core.engine import Engine
    from drctl.store.sqlite import SqliteStore
    engine = Engine(SqliteStore(Path(sys.argv[1])), SystemClock(), lease_ttl=float(sys.argv[2]))
    print(engine.start("failover", {}), flush=True)
    time.sleep(600)
""")


def test_a_run_whose_process_was_killed_is_interrupted_for_another_host_once_its_lease_expires(
    tmp_path: Path,
) -> None:
    path, ttl = tmp_path / "j.db", 1.0
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(ttl)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        store = SqliteStore(path)
        elsewhere = Identity("bob", "another-host", 1, "boot:x")
        assert load_run(store, run_id, identity=elsewhere).effective_status is RunStatus.RUNNING
        # Renewed while it lives: still running after more than one TTL.
        time.sleep(ttl * 2)
        assert load_run(store, run_id, identity=elsewhere).effective_status is RunStatus.RUNNING

        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        # This host sees it at once (its pid is gone) ...
        assert load_run(store, run_id).effective_status is RunStatus.INTERRUPTED
        # ... another host once the lease expires.
        deadline = time.monotonic() + 30
        while load_run(store, run_id, identity=elsewhere).effective_status is RunStatus.RUNNING:
            assert time.monotonic() < deadline, "the lease never expired"
            time.sleep(0.1)
        assert load_run(store, run_id, identity=elsewhere).live_by == "lease"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_resume_on_the_same_host_takes_a_dead_processs_lease_over_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), "600"],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()
    store = SqliteStore(path)
    resumer = Engine(store, FakeClock(T0))
    with pytest.raises(Blocked, match="still owned"):
        resumer.resume(run_id)  # alive: refused
    child.kill()
    child.wait()

    resumer.resume(run_id)  # dead (its pid is gone): no need to wait 600 s

    lease = store.lease(run_lease_name(run_id))
    assert lease is not None and lease.holder == resumer.identity.process_key
    resumer.leases.abandon()
