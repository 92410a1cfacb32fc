"""A drill's RTO and RPO (DESIGN.md §4), with what `runs show --json` needs to judge them.

RTO = restore start -> restored resource available and its data validated (None when validation
did not pass: an unvalidated restore has not recovered anything). RPO = drill start - the restore
point actually used (a snapshot's creation time, or the PITR time AWS reports); a replica check
measures from when it read the source instead (`rpo_measured_at`). The newest data found in the
restored copy -- the effective recovery point -- is reported next to it.
"""

from __future__ import annotations

from drctl.core.clock import iso, parse_iso
from drctl.core.durations import format_duration
from drctl.core.figures import DrillFigures
from drctl.core.measurement import RpoReading, measure_recovery
from drctl.drill.resources import DrillState
from drctl.drill.spec import DrillSpec


def drill_measurement(spec: DrillSpec, state: DrillState) -> DrillFigures:
    rpo = None
    if state.restore_point is not None:
        reference = state.rpo_measured_at or state.started_at
        seconds = round(max(0.0, (reference - state.restore_point).total_seconds()), 3)
        rpo = RpoReading(seconds, state.restore_point_source or spec.kind,
                         reference=iso(state.restore_point))
    recovery = measure_recovery(
        incident_start=state.restore_started_at, incident_start_source="restore start",
        recovered_at=state.validated_at, rpo=rpo,
        rto_target=spec.rto_target, rpo_target=spec.rpo_target,
    )
    effective = (state.validation or {}).get("effective_restore_point")
    return DrillFigures(
        recovery, spec.name, spec.kind, state.started_at, state.restore_started_at,
        state.available_at, state.validated_at, _requested(spec, state), state.restore_point,
        effective, _age(state, effective), state.copy_seconds,
        [r.to_dict() for r in state.resources], state.validation, state.cleanup,
        rpo_verdict(spec, rpo.seconds if rpo else None), bool(state.targets_met))


def rpo_verdict(spec: DrillSpec, rpo_seconds: float | None) -> str:
    """The RPO in one plain sentence, saying so when snapshots alone cannot meet the target."""
    target = format_duration(spec.rpo_target)
    if rpo_seconds is None:
        return f"RPO not measured (no restore point was reached); target {target}"
    age = format_duration(rpo_seconds)
    if rpo_seconds <= spec.rpo_target:
        return f"RPO {age} meets the {target} target"
    if spec.kind in ("snapshot", "cross-region"):
        return (f"RPO target MISSED: the newest snapshot is {age} old and the target is "
                f"{target} -- restoring from snapshots alone cannot meet this RPO")
    return f"RPO target MISSED: the restore point is {age} old; the target is {target}"


def _requested(spec: DrillSpec, state: DrillState) -> str | None:
    if spec.kind == "pitr" and state.requested_restore_point is None:
        return "latest restorable"
    return iso(state.requested_restore_point)


def _age(state: DrillState, effective: str | None) -> float | None:
    if not effective:
        return None
    return round((state.started_at - parse_iso(effective)).total_seconds(), 3)
