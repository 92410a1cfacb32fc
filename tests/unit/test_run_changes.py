"""Every change a run makes is journaled (issue 8 item 22): `change_started` before the call,
`change_applied` once AWS accepted it; the run folds them into `changes`, which a crash between
the two, a failure beside them or a resume after them never loses."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError
from drctl.core.run import RunStatus
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover.recovery_keeper import RecoveryKeeper
from drctl.store.base import load_run
from drctl.store.memory import MemoryStore


@dataclass
class Scaler:
    """Scales services one by one, journaling each change; `fail_at` fails that service."""

    name: str = "scale_secondary"
    services: tuple[str, ...] = ("api", "voice")
    fail_at: str | None = None
    policy: StepPolicy = field(default_factory=StepPolicy)

    def plan(self, ctx: StepContext) -> list[Change]:
        return [Change(self.name, "scale ECS service", f"roadtrip/{s}", "us-west-2", 1, 6)
                for s in self.services]

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        for change in self.plan(ctx):
            ctx.record_change(change, applied=False)
            if change.target == f"roadtrip/{self.fail_at}":
                raise AwsError("ECS said no")
            ctx.record_change(change)
        return {}


def test_each_change_is_on_record_with_before_and_after(clock: FakeClock) -> None:
    store = MemoryStore()
    engine = Engine(store, clock)
    run_id = engine.start("failover", {})

    run = engine.execute(run_id, [Scaler()])

    assert run.status is RunStatus.SUCCEEDED
    assert [(c["step"], c["target"], c["before"], c["after"], c["status"], c["region"])
            for c in run.changes] == [
        ("scale_secondary", "roadtrip/api", 1, 6, "applied", "us-west-2"),
        ("scale_secondary", "roadtrip/voice", 1, 6, "applied", "us-west-2")]
    assert run.to_dict()["changes"] == run.changes


def test_a_failure_keeps_what_was_changed_before_it_and_marks_the_one_attempted(
    clock: FakeClock
) -> None:
    store = MemoryStore()
    engine = Engine(store, clock)
    run_id = engine.start("failover", {})

    with pytest.raises(AwsError):
        engine.execute(run_id, [Scaler(fail_at="voice")])

    run = load_run(store, run_id)
    assert [(c["target"], c["status"]) for c in run.changes] == [
        ("roadtrip/api", "applied"), ("roadtrip/voice", "started")]


def test_a_crash_between_call_and_record_leaves_the_change_started_not_lost(
    clock: FakeClock
) -> None:
    store = MemoryStore()
    engine = Engine(store, clock)
    run_id = engine.start("failover", {})
    ctx = StepContext(run_id, clock)
    change = Scaler().plan(ctx)[0]
    engine.emit(run_id, "step_started", "scale_secondary", index=1, total=1, attempt=1)
    engine.emit(run_id, "change_started", **change.to_dict())
    # ... the process is SIGKILLed here; a resume finds the service scaled and moves on.
    engine.emit(run_id, "run_resumed", user="u", host="h", pid=2)

    [record] = load_run(store, run_id).changes
    assert (record["target"], record["before"], record["after"], record["status"]) == (
        "roadtrip/api", 1, 6, "started")


class Killed(BaseException):
    """The process dies: nothing after this is journaled (no failure handling runs)."""


def keeper_run(clock: FakeClock, steps: list[Any]) -> tuple[MemoryStore, str]:
    store = MemoryStore()
    engine = Engine(store, clock)
    run_id = engine.start("failover", {})
    advise = lambda run: {"changed": f"{len(run.changes)} change(s)", "resume": "r",  # noqa: E731
                          "roll_back": "b"} if run.changes else None
    engine.subscribers.insert(0, RecoveryKeeper(engine, run_id, advise))
    with contextlib.suppress(Killed):
        engine.execute(run_id, steps)
    return store, run_id


@dataclass
class Dies:
    name: str = "smoke_test"
    policy: StepPolicy = field(default_factory=StepPolicy)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        raise Killed


def test_advice_is_journaled_as_the_run_changes_things_and_survives_a_kill(
    clock: FakeClock
) -> None:
    store, run_id = keeper_run(clock, [Scaler(), Dies()])

    run = load_run(store, run_id)
    assert run.recovery == {"changed": "2 change(s)", "resume": "r", "roll_back": "b"}
    assert [e.type for e in store.events(run_id)].count("run_recovery") == 2  # first change, done


def test_a_run_that_succeeds_drops_its_advice(clock: FakeClock) -> None:
    store, run_id = keeper_run(clock, [Scaler()])

    run = load_run(store, run_id)
    assert run.status is RunStatus.SUCCEEDED and run.recovery == {}
    assert "recovery" not in run.to_dict()
