"""A journal of known runs, made through the real engine on the fake clock, for report tests.

Failovers use the failover's own measurement (`measurement_from_facts` with the shipped
playbook), drills the drill's (`drill_measurement`); every duration is set by the test, so every
figure a report prints is known exactly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from drctl.aws.fake import FakeAws
from drctl.core.clock import FakeClock, iso
from drctl.core.engine import Engine
from drctl.core.errors import DrctlError, StepFailed
from drctl.core.figures import ChaosFigures
from drctl.core.measurement import RpoReading
from drctl.core.operator import ScriptedOperator
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.measure import drill_measurement
from drctl.drill.resources import DrillState
from drctl.drill.spec import DrillSpec
from drctl.failover.measure import measurement_from_facts
from drctl.failover.notify import Notify
from drctl.failover.spec import FailoverDeps, FailoverSpec
from drctl.notify.base import Channel
from drctl.playbook.loader import load_playbook
from drctl.playbook.schema import Playbook
from drctl.report.records import load_records
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "roadtrip.yaml"
FAILOVER_STEPS = ("detect", "confirm", "switch_dns", "scale_secondary", "smoke_test", "notify")
DETECTION_LAG = 30.0  # the alarm fired this long before the failover started


@dataclass
class TimedStep:
    """Takes `takes` seconds on the fake clock, then outputs `facts(ctx)` or fails."""

    name: str
    takes: float = 0.0
    fail: bool = False
    facts: Any = None
    policy: StepPolicy = field(default_factory=StepPolicy)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        ctx.clock.sleep(self.takes)
        if self.fail:
            raise StepFailed(f"{self.name} failed on purpose")
        return dict(self.facts(ctx)) if self.facts else {}


class JournalBuilder:
    """`notify`: given, each failover ends with the real notify step (its summary against the
    journal's earlier failovers) sending to that channel; else a step that does nothing."""

    def __init__(self, engine: Engine, clock: FakeClock, notify: Channel | None = None) -> None:
        self.engine, self.clock = engine, clock
        self.playbook: Playbook = load_playbook(PLAYBOOK)
        self.started: dict[str, datetime] = {}  # run id -> when the test started it
        self.notify = None if notify is None else self._notify_step(notify)

    def _notify_step(self, channel: Channel) -> Notify:
        spec = FailoverSpec(self.playbook, str(PLAYBOOK), "us-west-2", "us-east-1")
        deps = FailoverDeps(FakeAws(), self.clock, ScriptedOperator(),
                            channels=lambda region: ([channel], []),
                            history=lambda: load_records(self.engine.store, "failover"))
        return Notify(spec, deps)

    def failover(self, switch_dns: float, rpo: float, smoke_fails: bool = False,
                 target: str = "us-west-2") -> str:
        """RTO = DETECTION_LAG + 1 (detect) + switch_dns + 10 (scale) + 5 (smoke)."""
        started = self.clock.now()
        takes = {"detect": 1.0, "switch_dns": switch_dns, "scale_secondary": 10.0,
                 "smoke_test": 5.0}
        facts = {
            "detect": lambda ctx: {"incident_start": iso(started - timedelta(
                seconds=DETECTION_LAG)), "incident_start_source": "alarm:api-health"},
            "switch_dns": lambda ctx: {"rpo": RpoReading(rpo, "heartbeat:test").to_dict()},
            "smoke_test": lambda ctx: {"smoke_passed_at": iso(ctx.now())},
        }
        steps: list[Any] = [TimedStep(name, takes.get(name, 0.0),
                                      smoke_fails and name == "smoke_test", facts.get(name))
                            for name in FAILOVER_STEPS]
        if self.notify is not None:
            steps[-1] = self.notify
        run_id = self.engine.start("failover", {"playbook": self.playbook.name,
                                                "target_region": target,
                                                "failed_region": "us-east-1"})
        self._execute(run_id, steps, lambda run: measurement_from_facts(
            self.playbook, run.facts()))
        return run_id

    def drill(self, target: str, kind: str, restore: float, validates: bool = True,
              snapshot_age: float = 600.0) -> str:
        """RTO = restore + 2 (validate); RPO = snapshot_age. `s3:BUCKET/PREFIX`: a prefix."""
        declared, _, prefix = target.partition("/")
        drill_target = next(t for t in self.playbook.drills.targets  # type: ignore[union-attr]
                            if t.target == declared)
        spec = DrillSpec(drill_target, kind, None, 0.0, self.playbook.targets.rto,
                         self.playbook.targets.rpo, self.playbook.name, prefix)
        state = DrillState(started_at=self.clock.now(),
                           restore_point=self.clock.now() - timedelta(seconds=snapshot_age))

        def restored(ctx: StepContext) -> dict[str, Any]:
            state.restore_started_at = ctx.now() - timedelta(seconds=restore)
            return {}

        def validated(ctx: StepContext) -> dict[str, Any]:
            state.validated_at = ctx.now()
            return {}

        steps = [TimedStep("restore", restore, facts=restored),
                 TimedStep("validate", 2.0, fail=not validates, facts=validated)]
        run_id = self.engine.start("drill", spec.params())
        self._execute(run_id, steps, lambda run: drill_measurement(spec, state))
        return run_id

    def chaos(self, passes: bool) -> str:
        run_id = self.engine.start("chaos", {"playbook": self.playbook.name,
                                             "experiment": "api-task-loss",
                                             "target": "us-east-1"})
        steps = [TimedStep("steady-state before", 1.0),
                 TimedStep("method: stop-tasks", 4.0, fail=not passes)]
        verdict = "passed" if passes else "deviated"
        self._execute(run_id, steps, lambda run: ChaosFigures(verdict, "", None, True, None))
        return run_id

    def runbook(self, runbook_id: str, takes: float = 5.0, fails: bool = False) -> str:
        """A runbook run as `start_runbook` journals it: no playbook, its runbook as target."""
        run_id = self.engine.start("runbook", {"runbook": runbook_id, "title": runbook_id,
                                               "target": runbook_id})
        self._execute(run_id, [TimedStep("step-1", takes, fail=fails)], None)  # measures none
        return run_id

    def _execute(self, run_id: str, steps: list[Any], measure: Any) -> None:
        self.started[run_id] = self.engine.store.events(run_id)[0].at
        with contextlib.suppress(DrctlError):  # a failing run is part of the journal too
            self.engine.execute(run_id, steps, measure=measure)

    def next_day(self, days: float = 1.0) -> None:
        self.clock.advance(days * 86400)


def report_history(state: Path) -> Path:
    """Five failovers a day apart (the last one's switch_dns slow: a regression) and a
    snapshot drill, journaled in `state`: what the report tests read."""
    store, clock = SqliteStore(state / "journal.db"), FakeClock(T0)
    build = JournalBuilder(Engine(store, clock), clock)
    for switch_dns in (2, 3, 3, 2, 41):
        build.failover(switch_dns, rpo=10)
        build.next_day()
    build.drill("rds:roadtrip-db", "snapshot", restore=300)
    store.close()
    return state
