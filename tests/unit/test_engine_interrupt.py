"""A stop requested through the port (drctl/core/interrupt.py) while the engine runs steps on a
worker thread: the same outcome Ctrl-C gives on the main thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from drctl.core.clock import SystemClock
from drctl.core.engine import INTERRUPTED, Engine
from drctl.core.interrupt import CTRL_C, Interrupted, Interruption
from drctl.core.run import RunStatus, StepStatus
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.store.base import Store, load_run


@dataclass
class WaitingStep:
    """Polls for something that never happens (an approval, a restore), as real steps do."""

    name: str
    started: threading.Event = field(default_factory=threading.Event)
    policy: StepPolicy = field(default_factory=StepPolicy)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        self.started.set()
        ctx.wait_until(lambda: False, timeout=600, interval=5, what="never")
        return {}


@dataclass
class SlowCleanup:
    """A cleanup that waits (for a deletion) and must not be cut short by a stop."""

    name: str = "cleanup"
    seconds: float = 0.3
    policy: StepPolicy = field(default_factory=StepPolicy)
    finished: bool = False

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        ctx.clock.sleep(self.seconds)
        ctx.interrupt.check()  # a safe point, but shielded: nothing raised
        self.finished = True
        return {"cleanup": {"status": "done"}}


def run_in_thread(engine: Engine, run_id: str, steps: list[Any], always: list[Any]
                  ) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def target() -> None:
        try:
            engine.execute(run_id, steps, always=always)
        except BaseException as exc:  # what the worker's host would see
            raised.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, raised


@pytest.mark.parametrize("reason", [CTRL_C, "SIGTERM"])
def test_a_stop_interrupts_a_failover_like_run_on_a_worker_thread(
    store: Store, reason: str
) -> None:
    port = Interruption()
    engine = Engine(store, SystemClock(port), interrupt=port)
    run_id = engine.start("failover", {})
    step = WaitingStep("confirm")
    thread, raised = run_in_thread(engine, run_id, [step, WaitingStep("never")], [])
    assert step.started.wait(10)

    started = time.monotonic()
    port.request_stop(reason)
    thread.join(10)

    assert not thread.is_alive() and time.monotonic() - started < 2
    assert len(raised) == 1 and isinstance(raised[0], Interrupted)
    run = load_run(store, run_id)
    assert run.status is RunStatus.INTERRUPTED  # resumable, as after Ctrl-C
    expected = INTERRUPTED if reason == CTRL_C else f"interrupted ({reason})"
    assert run.error == expected and run.step("confirm").error == expected
    assert run.step("never").status is StepStatus.PENDING


def test_a_stop_ends_a_drill_like_run_after_its_cleanup_ran_in_full(store: Store) -> None:
    port = Interruption()
    engine = Engine(store, SystemClock(port), interrupt=port)
    run_id = engine.start("drill", {})
    step, cleanup = WaitingStep("restore"), SlowCleanup()
    thread, raised = run_in_thread(engine, run_id, [step], [cleanup])
    assert step.started.wait(10)

    port.request_stop("SIGTERM")
    port.request_stop("SIGTERM", hard=True)  # a second, harder one does not cut cleanup short
    thread.join(10)

    assert cleanup.finished
    assert len(raised) == 1 and isinstance(raised[0], KeyboardInterrupt)
    run = load_run(store, run_id)
    assert run.step("cleanup").status is StepStatus.SUCCEEDED
    assert run.status is RunStatus.ABORTED
    assert run.error == "interrupted (SIGTERM); cleaned up"


def test_a_stop_requested_before_a_step_starts_stops_at_the_step_boundary(store: Store) -> None:
    port = Interruption()
    engine = Engine(store, SystemClock(port), interrupt=port)
    run_id = engine.start("failover", {})
    port.request_stop("controller shutdown")

    with pytest.raises(Interrupted):
        engine.execute(run_id, [WaitingStep("detect")])

    run = load_run(store, run_id)
    assert run.status is RunStatus.INTERRUPTED
    assert run.step("detect").status is StepStatus.PENDING  # nothing started
