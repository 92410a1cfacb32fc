"""The failover's RTO/RPO, computed from the facts its steps journaled."""

from __future__ import annotations

from typing import Any

from drctl.core.figures import FailoverFigures
from drctl.core.measurement import Measurement, measure_recovery
from drctl.failover.outputs import IncidentStart, RpoAtCut, SmokePassed
from drctl.playbook.schema import Playbook


def failover_measurement(playbook: Playbook, facts: dict[str, Any]) -> FailoverFigures:
    """The run's figures, from the facts its steps journaled."""
    cut = RpoAtCut.from_facts(facts)
    return FailoverFigures(measurement_from_facts(playbook, facts),
                           list(cut.stores) if cut else [])


def measurement_from_facts(playbook: Playbook, facts: dict[str, Any]) -> Measurement:
    """RTO runs from the incident start (detect) to the first smoke pass (smoke_test)."""
    start = IncidentStart.from_facts(facts)
    passed = SmokePassed.from_facts(facts)
    cut = RpoAtCut.from_facts(facts)
    return measure_recovery(
        incident_start=start.at if start else None,
        incident_start_source=start.source if start else None,
        recovered_at=passed.at if passed else None,
        rpo=cut.rpo if cut else None,
        rto_target=playbook.targets.rto,
        rpo_target=playbook.targets.rpo,
    )
