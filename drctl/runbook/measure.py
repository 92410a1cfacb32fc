"""RTO/RPO of a runbook run, from its `measures:` (DESIGN.md §4's figures, for a runbook).

RTO: from the incident start (a step's `outputs.incident_start`, else the run's start) to the
end of the recovery step. RPO: from the recovery point (a step's output: the time of the newest
data recovered) to the incident start. A figure whose inputs are missing is None, never a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drctl.core.clock import parse_iso
from drctl.core.figures import RunbookFigures
from drctl.core.measurement import RpoReading, measure_recovery
from drctl.core.run import Run, StepStatus
from drctl.playbook.schema import Targets
from drctl.runbook.model import Measures


def measure_runbook(run: Run, measures: Measures, targets: Targets) -> RunbookFigures:
    chosen = measures.targets or targets
    start: datetime | None = run.started_at
    source: str | None = "runbook_start"
    if measures.incident_start:
        given = _time(_output(run, measures.incident_start, "incident_start"))
        start, source = (given, f"steps.{measures.incident_start}.outputs.incident_start") \
            if given else (None, None)
    recovery = run.step(measures.recovery)
    recovered = recovery.ended_at if recovery.status is StepStatus.SUCCEEDED else None
    rpo = _rpo(run, measures, start)
    figures = measure_recovery(start, source, recovered, rpo, chosen.rto, chosen.rpo)
    return RunbookFigures(figures, source == "runbook_start")


def _rpo(run: Run, measures: Measures, start: datetime | None) -> RpoReading | None:
    if not measures.recovery_point or start is None:
        return None
    step, name = measures.recovery_point.split(".", 1)
    point = _time(_output(run, step, name))
    if point is None:
        return None
    seconds = max(0.0, round((start - point).total_seconds(), 3))
    return RpoReading(seconds, f"steps.{step}.outputs.{name}",
                      newest_replicated_at=point.isoformat(), reference=source_name(start))


def source_name(start: datetime) -> str:
    return f"incident start {start.isoformat()}"


def _output(run: Run, step: str, name: str) -> Any:
    record = run.step(step)
    return record.output.get(name) if record.status is StepStatus.SUCCEEDED else None


def _time(value: Any) -> datetime | None:
    """An ISO 8601 time or epoch seconds (as AWS APIs return them), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            return None
    return None
