"""The failover's RTO/RPO, computed from the facts its steps journaled."""

from __future__ import annotations

from typing import Any

from drctl.core.clock import parse_iso
from drctl.core.measurement import Measurement, RpoReading, measure_recovery
from drctl.playbook.schema import Playbook


def failover_measurement(playbook: Playbook, facts: dict[str, Any]) -> dict[str, Any]:
    """The run's figures, with each data store's RPO (the run's is the worst store's)."""
    return {**measurement_from_facts(playbook, facts).to_dict(),
            "rpo_stores": facts.get("rpo_stores") or []}


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
