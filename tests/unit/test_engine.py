"""The engine (drctl/core/engine.py) and the Run folded from its journal (drctl/core/run.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from structlog.testing import capture_logs

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import (
    AwsError,
    Blocked,
    DrctlError,
    InvalidInput,
    NotConfirmed,
    StepFailed,
)
from drctl.core.events import Event
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.core.step import StepPolicy
from drctl.store.base import Store, load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import FakeStep


def run_steps(engine: Engine, steps: Sequence[FakeStep]) -> tuple[str, Run]:
    run_id = engine.start("failover", {"target_region": "us-west-2"}, run_id="fo-test")
    return run_id, engine.execute(run_id, steps)


def journal(store: Store, run_id: str = "fo-test") -> list[tuple[str, str | None]]:
    return [(e.type, e.step) for e in store.events(run_id)]


def last_event(store: Store, type_: str, run_id: str = "fo-test") -> Event:
    return [e for e in store.events(run_id) if e.type == type_][-1]


@pytest.fixture
def memory() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def engine(memory: MemoryStore, clock: FakeClock) -> Engine:
    return Engine(memory, clock)


# --- the happy path --------------------------------------------------------------------------


def test_steps_run_in_order(engine: Engine) -> None:
    calls: list[str] = []
    steps = [FakeStep("detect", calls=calls), FakeStep("confirm", calls=calls),
             FakeStep("switch_dns", calls=calls)]

    run_steps(engine, steps)

    assert calls == ["verify:detect", "apply:detect", "verify:confirm", "apply:confirm",
                     "verify:switch_dns", "apply:switch_dns"]


def test_step_outputs_become_facts_for_later_steps(engine: Engine) -> None:
    detect = FakeStep("detect", output={"incident_start": "t0", "failed_region": "us-east-1"})
    confirm = FakeStep("confirm", output={"confirmed_by": "alice"})
    switch = FakeStep("switch_dns", output={"incident_start": "overridden"})

    _, run = run_steps(engine, [detect, confirm, switch])

    assert detect.seen_facts == [{}]
    assert confirm.seen_facts == [{"incident_start": "t0", "failed_region": "us-east-1"}]
    assert switch.seen_facts == [
        {"incident_start": "t0", "failed_region": "us-east-1", "confirmed_by": "alice"}
    ]
    assert run.facts() == {"incident_start": "overridden", "failed_region": "us-east-1",
                           "confirmed_by": "alice"}


def test_journal_records_run_started_step_pairs_and_run_finished(
    engine: Engine, memory: MemoryStore
) -> None:
    run_steps(engine, [FakeStep("detect", output={"a": 1}), FakeStep("confirm")])

    assert journal(memory) == [
        ("run_started", None),
        ("step_started", "detect"), ("step_succeeded", "detect"),
        ("step_started", "confirm"), ("step_succeeded", "confirm"),
        ("run_finished", None),
    ]
    events = memory.events("fo-test")
    assert events[0].data["kind"] == "failover"
    assert events[0].data["params"] == {"target_region": "us-west-2"}
    assert events[1].data == {"index": 1, "total": 2, "attempt": 1}
    assert events[2].data == {"output": {"a": 1}, "skipped_apply": False}
    assert events[3].data == {"index": 2, "total": 2, "attempt": 1}
    assert events[-1].data == {"status": "succeeded"}


def test_a_successful_run_is_folded_from_the_journal(engine: Engine) -> None:
    _, run = run_steps(engine, [FakeStep("detect", output={"a": 1}), FakeStep("confirm")])

    assert run.status is RunStatus.SUCCEEDED
    assert run.kind == "failover"
    assert run.error is None
    assert [(s.name, s.status, s.attempts) for s in run.steps] == [
        ("detect", StepStatus.SUCCEEDED, 1), ("confirm", StepStatus.SUCCEEDED, 1),
    ]
    assert run.step("detect").output == {"a": 1}


def test_the_engine_times_every_step(engine: Engine) -> None:
    _, run = run_steps(engine, [FakeStep("scale", takes=42.5), FakeStep("smoke", takes=3)])

    assert run.step("scale").duration_seconds == 42.5
    assert run.step("smoke").duration_seconds == 3.0
    assert run.ended_at is not None
    assert (run.ended_at - run.started_at).total_seconds() == 45.5


def test_a_step_already_verified_is_not_applied(engine: Engine, memory: MemoryStore) -> None:
    done = FakeStep("switch_dns", already_done=True, output={"changed": True})
    after = FakeStep("smoke_test")

    _, run = run_steps(engine, [done, after])

    assert done.applied == 0
    assert after.applied == 1
    succeeded = [e for e in memory.events("fo-test") if e.type == "step_succeeded"]
    assert succeeded[0].data == {"output": {}, "skipped_apply": True}
    assert succeeded[1].data["skipped_apply"] is False
    assert run.step("switch_dns").status is StepStatus.SUCCEEDED


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "exit_code"),
    [(StepFailed("dns did not converge"), 1), (InvalidInput("no such region"), 2),
     (Blocked("lock held by fo-other"), 4)],
)
def test_a_drctl_error_fails_the_run_and_keeps_its_exit_code(
    engine: Engine, memory: MemoryStore, error: DrctlError, exit_code: int
) -> None:
    later = FakeStep("smoke_test")

    with pytest.raises(DrctlError) as caught:
        run_steps(engine, [FakeStep("detect"), FakeStep("switch_dns", failures=[error]), later])

    assert caught.value is error
    assert caught.value.exit_code == exit_code
    assert later.applied == 0
    run = load_run(memory, "fo-test")
    assert run.status is RunStatus.FAILED
    assert run.error == str(error)
    assert run.step("switch_dns").status is StepStatus.FAILED
    assert run.step("switch_dns").error == str(error)
    assert last_event(memory, "step_failed").data["error_type"] == type(error).__name__
    assert journal(memory)[-1] == ("run_finished", None)


def test_not_confirmed_aborts_the_run(engine: Engine, memory: MemoryStore) -> None:
    refusal = NotConfirmed("the operator typed us-east-1, not us-west-2")
    later = FakeStep("switch_dns")

    with pytest.raises(NotConfirmed) as caught:
        run_steps(engine, [FakeStep("detect"), FakeStep("confirm", failures=[refusal]), later])

    assert caught.value.exit_code == 3
    assert later.applied == 0
    run = load_run(memory, "fo-test")
    assert run.status is RunStatus.ABORTED
    assert run.error == "the operator typed us-east-1, not us-west-2"


def test_an_aws_error_is_retried_with_backoff_until_it_succeeds(
    engine: Engine, memory: MemoryStore, clock: FakeClock
) -> None:
    flaky = FakeStep(
        "scale_secondary", output={"scaled": True},
        failures=[AwsError("Throttling", code="Throttling"), AwsError("Throttling")],
        policy=StepPolicy(retries=2, retry_delay=1.5),
    )

    _, run = run_steps(engine, [flaky])

    assert run.status is RunStatus.SUCCEEDED
    assert flaky.applied == 3
    assert run.step("scale_secondary").attempts == 3
    assert run.step("scale_secondary").output == {"scaled": True}
    assert clock.slept == [1.5, 3.0]
    started = [e.data["attempt"] for e in memory.events("fo-test") if e.type == "step_started"]
    assert started == [1, 2, 3]
    assert [e.data["error_type"] for e in memory.events("fo-test")
            if e.type == "step_failed"] == ["AwsError", "AwsError"]


def test_an_aws_error_fails_the_run_when_retries_run_out(
    engine: Engine, memory: MemoryStore, clock: FakeClock
) -> None:
    errors = [AwsError("first"), AwsError("second"), AwsError("third")]
    flaky = FakeStep("scale_secondary", failures=list(errors),
                     policy=StepPolicy(retries=1, retry_delay=2.0))

    with pytest.raises(AwsError) as caught:
        run_steps(engine, [flaky])

    assert caught.value is errors[1]
    assert flaky.applied == 2
    assert clock.slept == [2.0]
    run = load_run(memory, "fo-test")
    assert run.status is RunStatus.FAILED
    assert run.step("scale_secondary").attempts == 2
    assert run.error == "second"


def test_errors_other_than_aws_errors_are_not_retried(
    engine: Engine, clock: FakeClock
) -> None:
    step = FakeStep("smoke_test", failures=[StepFailed("health check 503")],
                    policy=StepPolicy(retries=3))

    with pytest.raises(StepFailed):
        run_steps(engine, [step])

    assert step.applied == 1
    assert clock.slept == []


def test_an_unexpected_exception_becomes_a_drctl_error(
    engine: Engine, memory: MemoryStore
) -> None:
    bug = ValueError("bad literal")

    with pytest.raises(DrctlError) as caught:
        run_steps(engine, [FakeStep("detect", failures=[bug])])

    assert type(caught.value) is DrctlError
    assert str(caught.value) == "step detect crashed: ValueError('bad literal')"
    assert caught.value.__cause__ is bug
    run = load_run(memory, "fo-test")
    assert run.status is RunStatus.FAILED
    assert run.error == "step detect crashed: ValueError('bad literal')"
    failed = last_event(memory, "step_failed")
    assert failed.data["error_type"] == "ValueError"
    assert failed.data["error"] == "bad literal"


def test_ctrl_c_marks_the_run_interrupted_and_re_raises(
    engine: Engine, memory: MemoryStore
) -> None:
    later = FakeStep("smoke_test")

    with pytest.raises(KeyboardInterrupt):
        run_steps(engine, [FakeStep("detect"), FakeStep("scale", failures=[KeyboardInterrupt()]),
                           later])

    assert later.applied == 0
    run = load_run(memory, "fo-test")
    assert run.status is RunStatus.INTERRUPTED
    assert run.step("scale").status is StepStatus.FAILED
    assert run.step("scale").error == "interrupted by the operator (Ctrl-C)"
    assert "run_finished" not in [type_ for type_, _ in journal(memory)]
    assert journal(memory)[-1] == ("run_interrupted", None)


# --- resume ----------------------------------------------------------------------------------


def steps_for_resume(calls: list[str], scale_failures: list[BaseException]) -> list[FakeStep]:
    return [
        FakeStep("detect", output={"incident_start": "2026-01-01T11:58:00.000Z"}, calls=calls),
        FakeStep("switch_dns", output={"dns_change": "C123"}, calls=calls),
        FakeStep("scale", output={"scaled": 6}, failures=scale_failures, calls=calls),
        FakeStep("smoke_test", calls=calls),
    ]


def test_resume_skips_the_steps_that_already_succeeded(store: Store, clock: FakeClock) -> None:
    engine = Engine(store, clock)
    first_calls: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        run_steps(engine, steps_for_resume(first_calls, [KeyboardInterrupt()]))

    second_calls: list[str] = []
    second = steps_for_resume(second_calls, [])
    engine.resume("fo-test")
    run = engine.execute("fo-test", second)

    assert second_calls == ["verify:scale", "apply:scale", "verify:smoke_test",
                            "apply:smoke_test"]
    # Facts journaled by the first process reach the steps run by the second.
    assert second[2].seen_facts == [
        {"incident_start": "2026-01-01T11:58:00.000Z", "dns_change": "C123"}
    ]
    assert run.status is RunStatus.SUCCEEDED
    assert run.step("scale").attempts == 2
    assert [type_ for type_, _ in journal(store)].count("run_resumed") == 1


def test_resume_after_a_failed_run_retries_the_failed_step(
    engine: Engine, memory: MemoryStore
) -> None:
    with pytest.raises(StepFailed):
        run_steps(engine, steps_for_resume([], [StepFailed("ECS did not stabilise")]))

    calls: list[str] = []
    run = engine.execute("fo-test", steps_for_resume(calls, []))

    assert calls[0] == "verify:scale"
    assert "apply:detect" not in calls
    assert run.status is RunStatus.SUCCEEDED
    assert run.error is None


# --- subscribers -----------------------------------------------------------------------------


def test_a_failing_subscriber_does_not_break_the_run(
    memory: MemoryStore, clock: FakeClock
) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("terminal went away")

    seen: list[str] = []
    engine = Engine(memory, clock, subscribers=[broken, lambda e: seen.append(e.type)])

    with capture_logs() as logs:
        _, run = run_steps(engine, [FakeStep("detect"), FakeStep("notify")])

    assert run.status is RunStatus.SUCCEEDED
    assert seen == [type_ for type_, _ in journal(memory)]
    assert seen[-1] == "run_finished"
    failures = [entry for entry in logs if entry["event"] == "subscriber_failed"]
    assert len(failures) == len(seen)
    assert failures[0]["run_id"] == "fo-test"


def test_progress_reaches_subscribers_but_not_the_journal(
    memory: MemoryStore, clock: FakeClock
) -> None:
    seen: list[Event] = []
    engine = Engine(memory, clock, subscribers=[seen.append])

    run_steps(engine, [FakeStep("scale", progress=["waiting for ECS (10s)"])])

    progress = [e for e in seen if e.type == "step_progress"]
    assert [(e.step, e.data) for e in progress] == [
        ("scale", {"message": "waiting for ECS (10s)"})
    ]
    assert "step_progress" not in [type_ for type_, _ in journal(memory)]


def test_subscribers_see_journaled_events_with_their_seq(
    memory: MemoryStore, clock: FakeClock
) -> None:
    seen: list[Event] = []
    engine = Engine(memory, clock, subscribers=[seen.append])

    run_steps(engine, [FakeStep("detect")])

    assert [e.seq for e in seen] == [1, 2, 3, 4]


def test_start_generates_a_run_id_from_the_kind_and_clock(
    memory: MemoryStore, clock: FakeClock
) -> None:
    engine = Engine(memory, clock)

    first = engine.start("drill", {})
    second = engine.start("drill", {})

    assert first.startswith("dr-20260101T120000-")
    assert first != second
    assert sorted(memory.run_ids("drill")) == sorted([first, second])
