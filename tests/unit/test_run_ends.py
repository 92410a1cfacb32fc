"""Every run ends, in one place (drctl/core/engine.py): whatever raises after `run_started` --
a step, the measurement, a subscriber, code around the steps (chaos's relay), the store write
of the measurement -- the run reads back finished (or interrupted), with `run_finished`, and
its lease is freed. Abort goes through the engine too."""

from __future__ import annotations

from typing import Any

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError, DrctlError, NotConfirmed
from drctl.core.events import Event
from drctl.core.figures import FailoverFigures
from drctl.core.identity import Identity
from drctl.core.interrupt import Interrupted, StopKind, StopRequest
from drctl.core.run import RunStatus, run_lease_name
from drctl.core.store import LockHolder, Store, load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0, FakeStep, failover_figures


class FailingStore(MemoryStore):
    """A store whose append of one event type fails (a DynamoDB throttle, a full disk)."""

    def __init__(self, failing: str) -> None:
        super().__init__()
        self.failing = failing

    def append(self, event: Event) -> Event:
        if event.type == self.failing:
            raise AwsError(f"could not write {event.type}: throttled", code="Throttling")
        return super().append(event)


def ending(store: Store, run_id: str) -> list[str]:
    return [e.type for e in store.events(run_id) if e.type in ("run_finished",
                                                                 "run_interrupted")]


def test_a_measurement_that_raises_fails_the_run(store: Store) -> None:
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("failover", {})

    def measure(_run: Any) -> FailoverFigures:
        raise KeyError("rto_seconds")

    with pytest.raises(DrctlError, match="could not measure the run"):
        engine.execute(run_id, [FakeStep("detect")], measure=measure)
    run = load_run(store, run_id)
    assert run.status is RunStatus.FAILED and "rto_seconds" in (run.error or "")
    assert ending(store, run_id) == ["run_finished"]
    assert store.lease(run_lease_name(run_id)) is None


def test_a_failed_store_write_of_the_measurement_fails_the_run() -> None:
    store = FailingStore("run_measured")
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("drill", {})

    with pytest.raises(DrctlError, match="throttled"):
        engine.execute(run_id, [FakeStep("restore")], always=[FakeStep("cleanup")],
                       measure=lambda _run: failover_figures())
    run = load_run(store, run_id)
    assert run.status is RunStatus.FAILED
    assert run.step("cleanup").status.value == "succeeded"
    assert ending(store, run_id) == ["run_finished"]


def test_the_step_failure_stays_the_runs_error_when_measuring_also_fails(store: Store) -> None:
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("failover", {})
    with pytest.raises(AwsError, match="no route53"):
        engine.execute(run_id, [FakeStep("detect", failures=[AwsError("no route53")])],
                       measure=lambda _run: 1 / 0)  # type: ignore[arg-type,return-value]
    run = load_run(store, run_id)
    assert run.status is RunStatus.FAILED and run.error == "no route53"
    assert ending(store, run_id) == ["run_finished"]


def test_a_subscriber_that_raises_on_every_event_changes_nothing(store: Store) -> None:
    def broken(_event: Event) -> None:
        raise RuntimeError("the terminal went away")

    engine = Engine(store, FakeClock(T0), [broken])
    run_id = engine.start("failover", {})
    run = engine.execute(run_id, [FakeStep("detect")], measure=lambda _run: failover_figures())
    assert run.status is RunStatus.SUCCEEDED and ending(store, run_id) == ["run_finished"]


@pytest.mark.parametrize(("raised", "status"), [
    (RuntimeError("relay bug"), RunStatus.FAILED),
    (AwsError("store throttled"), RunStatus.FAILED),
    (NotConfirmed("operator said no"), RunStatus.ABORTED),
    (Interrupted(StopRequest(StopKind.GRACEFUL, "SIGTERM", 1)), RunStatus.INTERRUPTED),
])
def test_code_around_the_steps_that_raises_ends_the_run(
    store: Store, raised: BaseException, status: RunStatus
) -> None:
    # What chaos's runner does: its pre-flight, child process and relay run inside `running`.
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("chaos", {})
    with pytest.raises(type(raised)), engine.running(run_id):
        engine.emit(run_id, "step_started", "preflight", index=1, total=3, attempt=1)
        raise raised
    run = load_run(store, run_id)
    assert run.status is status and len(ending(store, run_id)) == 1
    assert store.lease(run_lease_name(run_id)) is None


def test_a_run_that_ended_itself_is_not_ended_twice(store: Store) -> None:
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("chaos", {})
    with pytest.raises(RuntimeError), engine.running(run_id):
        engine.emit(run_id, "run_finished", status="succeeded")
        raise RuntimeError("after the end")
    assert ending(store, run_id) == ["run_finished"]


def test_when_even_the_end_cannot_be_written_the_lease_is_left_to_expire() -> None:
    store = FailingStore("run_finished")
    engine = Engine(store, FakeClock(T0), identity=Identity("sre", "host-a", 7, "b:1"))
    run_id = engine.start("failover", {})
    with pytest.raises(DrctlError):
        engine.execute(run_id, [FakeStep("detect", failures=[DrctlError("boom")])])
    lease = store.lease(run_lease_name(run_id))
    assert lease is not None  # not released, no longer renewed: it expires, others see it
    later = lease.expires_at
    elsewhere = Identity("bob", "host-b", 8, "b:2")
    assert load_run(store, run_id, now=later, identity=elsewhere).effective_status is \
        RunStatus.INTERRUPTED
    assert not engine.leases.holding(run_id)


def test_abort_goes_through_the_engine_and_frees_locks_and_lease(store: Store) -> None:
    far = Engine(store, FakeClock(T0), identity=Identity("alice", "host-a", 7, "b:1"))
    run_id = far.start("failover", {"lock": "failover:roadtrip", "locks": ["disruptive:rt"]})
    far.leases.abandon()  # host-a died
    for name in ("failover:roadtrip", "disruptive:rt"):
        store.acquire_lock(LockHolder(name, run_id, "alice", "host-a", 7, T0))
    seen: list[Event] = []
    clock = FakeClock(T0)
    clock.advance(60)  # its lease expired
    me = Engine(store, clock, [seen.append], identity=Identity("bob", "host-b", 8, "b:2"))

    run = me.abort(run_id, "host-a is gone")

    assert run.status is RunStatus.ABORTED and run.error == "aborted by bob: host-a is gone"
    assert [e.type for e in seen] == ["run_finished"]
    assert store.lock("failover:roadtrip") is None and store.lock("disruptive:rt") is None
    assert store.lease(run_lease_name(run_id)) is None
