"""A run's lease against a real process that dies (issue 10 item 6): another host sees the run
interrupted once the lease expires; this host sees it at once, by its pid.

End-to-end truths about a real process killed with SIGKILL (no sandbox needed): they start
interpreters and wait out a lease, so they live here, not in the fast unit tier."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked
from drctl.core.identity import Identity
from drctl.core.run import RunStatus, run_lease_name
from drctl.core.store import load_run
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0

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
