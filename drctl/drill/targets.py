"""Did the drill meet its RTO and RPO targets? A drill that restored and validated but missed
one has not proven the recovery the playbook promises: it fails (exit 1), saying which target
and why, so a scheduled drill can alert on it.

The targets are the drill target's own `targets:` when it sets them, else the playbook's.
"""

from __future__ import annotations

from typing import Any

from drctl.core.durations import format_duration
from drctl.core.errors import StepFailed
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.measure import rpo_verdict
from drctl.drill.resources import DrillState
from drctl.drill.spec import DrillSpec


def rto_seconds(state: DrillState) -> float | None:
    if state.restore_started_at is None or state.validated_at is None:
        return None
    return (state.validated_at - state.restore_started_at).total_seconds()


def rpo_seconds(state: DrillState) -> float | None:
    if state.restore_point is None:
        return None
    return max(0.0, (state.started_at - state.restore_point).total_seconds())


def missed_targets(spec: DrillSpec, state: DrillState) -> list[str]:
    """One sentence per missed (or unmeasured) target; empty when both are met."""
    missed = []
    rto = rto_seconds(state)
    if rto is None:
        missed.append(f"RTO not measured (the restore was not validated); target "
                      f"{format_duration(spec.rto_target)}")
    elif rto > spec.rto_target:
        missed.append(f"RTO target MISSED: restoring and validating took {format_duration(rto)};"
                      f" the target is {format_duration(spec.rto_target)}")
    rpo = rpo_seconds(state)
    if rpo is None or rpo > spec.rpo_target:
        missed.append(rpo_verdict(spec, rpo))
    return missed


class CheckTargets:
    """After validation: judge the RTO and RPO against the drill's targets."""

    name = "check_targets"
    policy = StepPolicy()

    def __init__(self, spec: DrillSpec, state: DrillState) -> None:
        self.spec, self.state = spec, state

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        missed = missed_targets(self.spec, self.state)
        self.state.targets_met = not missed
        if missed:
            raise StepFailed(f"{self.spec.name} ({self.spec.kind}) restored and validated, but "
                             + "; ".join(missed))
        return {"targets_met": True, "rto_seconds": rto_seconds(self.state),
                "rpo_seconds": rpo_seconds(self.state)}
