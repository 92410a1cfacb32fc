"""`always` steps (a drill's cleanup): they run after a failed or interrupted step, are
journaled like any other, and the run ends exactly once."""

from __future__ import annotations

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import StepFailed
from drctl.core.run import RunStatus, StepStatus
from drctl.store.base import Store, load_run
from tests.unit.helpers import FakeStep, drill_figures


def run_with(store: Store, clock: FakeClock, steps: list[FakeStep], cleanup: FakeStep
             ) -> tuple[str, BaseException | None]:
    engine = Engine(store, clock)
    run_id = engine.start("drill", {"target": "dynamodb:t"})
    measured = drill_figures(validation={"passed": False})
    try:
        engine.execute(run_id, steps, always=[cleanup], measure=lambda _run: measured)
    except (StepFailed, KeyboardInterrupt) as exc:
        return run_id, exc
    return run_id, None


@pytest.mark.parametrize("failure", [StepFailed("validation failed: 1 item missing"),
                                     KeyboardInterrupt()])
def test_cleanup_runs_after_a_failed_or_interrupted_step(
    store: Store, clock: FakeClock, failure: BaseException
) -> None:
    calls: list[str] = []
    restore = FakeStep("restore", calls=calls)
    validate = FakeStep("validate", failures=[failure], calls=calls)
    never = FakeStep("keep", calls=calls)
    cleanup = FakeStep("cleanup", output={"cleanup": {"status": "done"}}, calls=calls)

    run_id, raised = run_with(store, clock, [restore, validate, never], cleanup)

    assert raised is failure
    assert [c for c in calls if c.startswith("apply")] == [
        "apply:restore", "apply:validate", "apply:cleanup"]
    run = load_run(store, run_id)
    assert run.step("validate").status is StepStatus.FAILED
    assert run.step("cleanup").status is StepStatus.SUCCEEDED
    expected = RunStatus.ABORTED if isinstance(failure, KeyboardInterrupt) else RunStatus.FAILED
    assert run.status is expected
    events = [e.type for e in store.events(run_id)]
    assert events.count("run_finished") == 1 and events[-2:] == ["run_measured", "run_finished"]
    assert run.measurement["validation"] == {"passed": False}
    assert run.figures == drill_figures(validation={"passed": False})  # read back typed


def test_a_failed_cleanup_fails_an_otherwise_good_drill(store: Store, clock: FakeClock) -> None:
    cleanup = FakeStep("cleanup", failures=[StepFailed("cleanup incomplete: table t")])

    run_id, raised = run_with(store, clock, [FakeStep("restore")], cleanup)

    assert isinstance(raised, StepFailed) and raised.run_id == run_id
    assert load_run(store, run_id).status is RunStatus.FAILED


def test_a_good_drill_succeeds(store: Store, clock: FakeClock) -> None:
    run_id, raised = run_with(store, clock, [FakeStep("restore")], FakeStep("cleanup"))

    assert raised is None
    assert load_run(store, run_id).status is RunStatus.SUCCEEDED
