"""The summary of a scheduled run that did not run (refused, missed) names its own kind: a
skipped drill's said `chaos verdict: skipped` in the controller's log and every channel."""

from __future__ import annotations

from drctl.controller.execute import journal_verdict
from drctl.controller.tick import Job
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.playbook.schedules import Schedule, ScheduledDrill
from drctl.report.summary import summary_of_run
from drctl.store.base import list_runs, load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0


def test_a_skipped_drill_is_summarized_as_a_drill_verdict() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    drill = Schedule(name="nightly", every=30.0,
                     drill=ScheduledDrill(target="dynamodb:roadtrip-pois", kind="pitr"))
    journal_verdict(Engine(store, clock), Job.of("pb", drill), "skipped", "busy")
    (run,) = list_runs(store, "drill")
    lines = summary_of_run(store, load_run(store, run.run_id), clock.now()).lines
    assert "drill verdict: skipped" in lines and not any("chaos" in line for line in lines)
