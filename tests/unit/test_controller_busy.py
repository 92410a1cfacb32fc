"""A playbook's disruptive slot as the scheduler sees it (drctl/controller/build.py): a live
run holding it refuses the next fire; a run whose process is gone -- a SIGKILLed leader's
drill, on another host, its run lease expired -- does not, or every fire after a takeover
would be journaled `skipped` behind a run that will never end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from drctl.controller.build import disruptive_holders
from drctl.controller.playbooks import Served
from drctl.controller.runners import LoadedPlaybook
from drctl.core import exclusive
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.identity import Identity
from drctl.store.memory import MemoryStore

ELSEWHERE = Identity("ops", "other-host", 4242, "token")
HERE = Identity("ops", "this-host", 4343, "token2")


def served() -> Served:
    return Served({"pb": LoadedPlaybook(Path("pb.yaml"), None)})  # type: ignore[arg-type]


def drill_holding_the_slot(store: MemoryStore, clock: FakeClock) -> tuple[str, Engine]:
    engine = Engine(store, clock, identity=ELSEWHERE)
    run_id = engine.start("drill", {"playbook": "pb"})
    exclusive.acquire(store, "pb", run_id, clock, ELSEWHERE)
    return run_id, engine


def test_a_live_runs_slot_refuses_the_next_fire() -> None:
    store, clock = MemoryStore(), FakeClock(datetime.now(UTC))
    run_id, engine = drill_holding_the_slot(store, clock)
    try:
        assert run_id in disruptive_holders(store, served(), HERE)["pb"]
    finally:
        engine.leases.abandon()


def test_a_dead_runs_slot_does_not_refuse_it() -> None:
    store = MemoryStore()
    # Its run lease was last renewed a day ago: that process is gone (issue 11: the killed
    # leader's drill kept every later fire `skipped`).
    clock = FakeClock(datetime(2025, 1, 1, tzinfo=UTC))
    _, engine = drill_holding_the_slot(store, clock)
    engine.leases.abandon()
    assert disruptive_holders(store, served(), HERE) == {}
