"""One disruptive run per playbook at a time (drctl/core/exclusive.py)."""

from __future__ import annotations

import pytest

from drctl.core.clock import FakeClock
from drctl.core.errors import Blocked
from drctl.core.exclusive import exclusive_run, holder_in_the_way, lock_name
from drctl.core.identity import Identity
from drctl.store.base import LockHolder
from drctl.store.memory import MemoryStore

ME = Identity.of_this_process()


def test_a_second_disruptive_run_of_the_same_playbook_is_blocked_naming_the_first() -> None:
    store, clock = MemoryStore(), FakeClock()
    with exclusive_run(store, "roadtrip", "ch-1", clock, ME):
        with pytest.raises(Blocked) as refused, exclusive_run(store, "roadtrip", "dr-2",
                                                               clock, ME):
            raise AssertionError("must not run")
        assert "ch-1" in str(refused.value) and refused.value.exit_code == 4
        with exclusive_run(store, "other-playbook", "ch-3", clock, ME):
            pass  # another playbook's estate: allowed
        with exclusive_run(store, "roadtrip", "ch-4", clock, ME, exclusive=False):
            pass  # opted in to running alongside
    assert store.lock(lock_name("roadtrip")) is None  # released at the end
    with exclusive_run(store, "roadtrip", "dr-5", clock, ME):
        pass


def test_a_dead_holder_is_taken_over() -> None:
    store, clock = MemoryStore(), FakeClock()
    dead = LockHolder(lock_name("roadtrip"), "ch-dead", ME.user, ME.host, 2**22 + 12345,
                      clock.now())
    store.acquire_lock(dead)
    assert holder_in_the_way(store, "roadtrip", ME) is None

    with exclusive_run(store, "roadtrip", "ch-new", clock, ME):
        held = store.lock(lock_name("roadtrip"))
        assert held is not None and held.run_id == "ch-new"


def test_the_lock_is_released_when_the_run_raises() -> None:
    store, clock = MemoryStore(), FakeClock()
    with pytest.raises(RuntimeError), exclusive_run(store, "roadtrip", "dr-1", clock, ME):
        raise RuntimeError("step crashed")
    assert store.lock(lock_name("roadtrip")) is None


def test_a_drill_is_not_started_while_another_disruptive_run_holds_the_playbook() -> None:
    from typing import Any, cast

    from drctl.core.engine import Engine
    from drctl.drill.preflight import RecoveryPoint
    from drctl.drill.runner import run_drill
    from drctl.drill.spec import DrillDeps, DrillSpec
    from drctl.playbook.schema import DrillTarget

    store, clock = MemoryStore(), FakeClock()
    chaos = LockHolder(lock_name("roadtrip"), "ch-live", ME.user, ME.host, ME.pid, clock.now())
    store.acquire_lock(chaos)
    target = DrillTarget.model_validate({"target": "dynamodb:t", "region": "us-east-1"})
    spec = DrillSpec(target, "pitr", None, 0.0, 3600.0, 900.0, "roadtrip")
    deps = DrillDeps(cast(Any, None), clock, lambda argv, env, timeout: (0, ""))

    with pytest.raises(Blocked, match="ch-live"):
        run_drill(spec, RecoveryPoint("pitr", "t", None), deps, Engine(store, clock, identity=ME))

    assert store.run_ids("drill") == []
