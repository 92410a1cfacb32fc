"""What a report knows about one run: a small typed record, read from the journal.

`load_records` is the one place the report reads runs. Today it folds each run's journal
(`list_runs`); when the store keeps run summaries it reads those instead, and nothing else in
`drctl/report/` changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.core.clock import parse_iso
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.store.base import Store, list_runs

# Every run the journal holds, for regression history and restore ages (bounded for safety).
HISTORY_LIMIT = 100_000
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ABORTED)


@dataclass(frozen=True)
class Figure:
    """RTO or RPO of one run: seconds and met are None when it was not measured (a run
    aborted before recovery): not measured is not missed."""

    seconds: float | None
    target: float | None
    met: bool | None


@dataclass(frozen=True)
class StepTiming:
    name: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds(), 3)

    @property
    def succeeded(self) -> bool:
        return self.status == str(StepStatus.SUCCEEDED)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    kind: str
    playbook: str | None
    status: RunStatus
    started_at: datetime
    ended_at: datetime | None
    subject: str | None          # drill target, failover target region, chaos target regions
    drill_kind: str | None
    region: str | None           # the region the run ended in (metrics are published there)
    rto: Figure | None           # None: the kind has no RTO (chaos)
    rpo: Figure | None
    verdict: str | None          # chaos verdict
    validated_at: datetime | None
    incident_start: datetime | None
    recovered_at: datetime | None
    error: str | None
    trigger: str | None
    steps: tuple[StepTiming, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def targets_met(self) -> bool | None:
        """False when a measured target was missed; None for a kind without targets or when
        a target was not measured (a run aborted before recovery): unmeasured is not missed,
        nor met."""
        verdicts = [f.met for f in (self.rto, self.rpo) if f is not None]
        if False in verdicts:
            return False
        return None if not verdicts or None in verdicts else True

    @property
    def passed(self) -> bool:
        """Succeeded and met its targets: what a pass rate counts. A target it did not
        measure is not met."""
        figures = [f for f in (self.rto, self.rpo) if f is not None]
        return self.status is RunStatus.SUCCEEDED and all(f.met is True for f in figures)

    @property
    def validated(self) -> bool:
        """A drill whose restored copy was validated."""
        return self.status is RunStatus.SUCCEEDED and self.validated_at is not None

    @property
    def series(self) -> tuple[str, str | None, str | None]:
        """Runs whose timings are comparable: a drill of an RDS snapshot is not compared
        with a DynamoDB PITR drill of the same playbook."""
        if self.kind == "drill":
            return self.kind, self.subject, self.drill_kind
        return self.kind, None, None

    def step_seconds(self, name: str) -> float | None:
        for step in self.steps:
            if step.name == name and step.succeeded:
                return step.seconds
        return None


def load_records(store: Store, kind: str | None = None) -> list[RunRecord]:
    """Every run of `kind` (all kinds: None), oldest first."""
    records = [record_from_run(run) for run in list_runs(store, kind, HISTORY_LIMIT)]
    return sorted(records, key=lambda r: (r.started_at, r.run_id))


def record_from_run(run: Run) -> RunRecord:
    data = run.measurement
    return RunRecord(
        run_id=run.run_id, kind=run.kind, playbook=run.params.get("playbook"),
        status=run.effective_status, started_at=run.started_at, ended_at=run.ended_at,
        subject=_subject(run), drill_kind=run.params.get("kind") if run.kind == "drill" else None,
        region=_region(run), rto=_figure(data, "rto", run.params),
        rpo=_figure(data, "rpo", run.params),
        verdict=data.get("verdict"), validated_at=_time(data.get("validated_at")),
        incident_start=_time(data.get("incident_start")),
        recovered_at=_time(data.get("recovered_at")), error=run.error,
        trigger=run.params.get("trigger"),
        steps=tuple(StepTiming(s.name, str(s.status), s.started_at, s.ended_at)
                    for s in run.steps),
    )


def _figure(data: dict[str, Any], name: str, params: dict[str, Any]) -> Figure | None:
    target = data.get(f"{name}_target_seconds")
    if target is None:
        target = params.get(f"{name}_target_seconds")
    if target is None and f"{name}_seconds" not in data:
        return None
    seconds = data.get(f"{name}_seconds")
    met = data.get(f"{name}_met")
    return Figure(seconds, target, None if seconds is None or met is None else bool(met))


def _subject(run: Run) -> str | None:
    params = run.params
    if run.kind == "drill":
        return params.get("target")
    if run.kind == "failover":
        return params.get("target_region")
    return params.get("target")


def _region(run: Run) -> str | None:
    params = run.params
    regions = params.get("target_regions") or []
    return (params.get("target_region") or params.get("restore_region")
            or params.get("region") or (regions[0] if regions else None))


def _time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
