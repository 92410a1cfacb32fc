"""How the experiment process's messages become the run's steps in the journal."""

from __future__ import annotations

from drctl.chaos.runner import StepRelay
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.events import Event
from drctl.core.run import StepStatus
from drctl.store.base import load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0


def relay_run(messages: list[tuple[str, dict]]) -> dict[str, tuple[StepStatus, str | None]]:
    store = MemoryStore()
    engine = Engine(store, FakeClock(T0))
    store.append(Event("ch-1", "run_started", T0, data={"kind": "chaos", "params": {}}))
    relay = StepRelay(engine, "ch-1", total=5)
    for kind, data in messages:
        relay(kind, data)
    relay.close_open_step()
    return {s.name: (s.status, s.error) for s in load_run(store, "ch-1").steps}


def activity(event: str, phase: str, name: str, status: str = "succeeded",
             error: str | None = None) -> tuple[str, dict]:
    data = {"phase": phase, "name": name, "type": "action", "status": status, "output": ""}
    if error:
        data["error"] = error
    return (event, data)


def test_hypotheses_method_and_rollbacks_are_steps_and_probes_are_not() -> None:
    steps = relay_run([
        ("phase", {"phase": "before"}),
        activity("activity_started", "before", "health"),
        activity("activity_completed", "before", "health"),
        ("hypothesis", {"when": "before", "met": True}),
        ("phase", {"phase": "method"}),
        activity("activity_started", "method", "stop-task"),
        activity("activity_completed", "method", "stop-task", "failed", "ActivityFailed: x"),
        ("phase", {"phase": "after"}),
        ("hypothesis", {"when": "after", "met": False}),
        ("phase", {"phase": "rollbacks"}),
        activity("activity_started", "rollbacks", "restore"),
        activity("activity_completed", "rollbacks", "restore"),
    ])

    assert steps == {
        "steady-state before": (StepStatus.SUCCEEDED, None),
        "method: stop-task": (StepStatus.FAILED, "ActivityFailed: x"),
        "steady-state after": (StepStatus.FAILED, "steady state not met"),
        "rollback: restore": (StepStatus.SUCCEEDED, None),
    }


def test_an_activity_that_never_completed_is_marked_interrupted() -> None:
    steps = relay_run([("phase", {"phase": "method"}),
                       activity("activity_started", "method", "long-action")])

    assert steps["method: long-action"] == (StepStatus.FAILED, "interrupted before it completed")


def test_the_same_activity_twice_gets_two_steps() -> None:
    steps = relay_run([activity("activity_started", "method", "poke"),
                       activity("activity_completed", "method", "poke"),
                       activity("activity_started", "method", "poke"),
                       activity("activity_completed", "method", "poke")])

    assert list(steps) == ["method: poke", "method: poke (2)"]


def test_an_activity_a_stop_cut_short_is_not_a_success() -> None:
    cut = ("activity_completed", {"phase": "method", "name": "long-action", "type": "action",
                                  "status": None, "output": ""})
    steps = relay_run([activity("activity_started", "method", "long-action"), cut])

    assert steps["method: long-action"] == (StepStatus.FAILED, "interrupted before it completed")


def test_the_progress_line_of_an_activity_a_stop_cut_short_says_so() -> None:
    """chaoslib gives such an activity no status and no output: not `action x: None`."""
    store, seen = MemoryStore(), []
    engine = Engine(store, FakeClock(T0), [seen.append])
    store.append(Event("ch-1", "run_started", T0, data={"kind": "chaos", "params": {}}))
    relay = StepRelay(engine, "ch-1", total=5)
    relay(*activity("activity_started", "method", "long-action"))
    relay("activity_completed", {"phase": "method", "name": "long-action", "type": "action",
                                 "status": None, "output": "None"})

    lines = [e.data["message"] for e in seen if e.type == "step_progress"]
    assert lines == ["action long-action: interrupted before it completed"]
