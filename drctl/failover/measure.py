"""The failover's RTO/RPO, computed from the facts its steps journaled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drctl.core.clock import parse_iso
from drctl.core.measurement import Measurement, RpoReading, measure_recovery
from drctl.playbook.schema import Playbook


@dataclass(frozen=True)
class FailoverFigures:
    """What a failover journals in `run_measured`: RTO/RPO against the targets, and each data
    store's RPO (the run's is the worst store's)."""

    recovery: Measurement
    rpo_stores: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.recovery.to_dict(), "rpo_stores": self.rpo_stores}


def failover_measurement(playbook: Playbook, facts: dict[str, Any]) -> FailoverFigures:
    """The run's figures, from the facts its steps journaled."""
    return FailoverFigures(measurement_from_facts(playbook, facts),
                           list(facts.get("rpo_stores") or []))


def measurement_from_facts(playbook: Playbook, facts: dict[str, Any]) -> Measurement:
    """RTO runs from the incident start (detect) to the first smoke pass (smoke_test)."""
    start = facts.get("incident_start")
    passed = facts.get("smoke_passed_at")
    rpo = facts.get("rpo")
    return measure_recovery(
        incident_start=parse_iso(start) if start else None,
        incident_start_source=facts.get("incident_start_source"),
        recovered_at=parse_iso(passed) if passed else None,
        rpo=RpoReading.from_dict(rpo) if rpo else None,
        rto_target=playbook.targets.rto,
        rpo_target=playbook.targets.rpo,
    )
