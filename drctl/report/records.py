"""What a report knows about one run: a small typed record, read from the run's summary.

`load_records` is the one place the report reads runs: from the summaries the store writes
when a run ends (`drctl/core/summary.py`), never replaying a finished run's journal; only a run
without a complete summary is folded. A record made from a journal goes through the same
`summarise`, so both ways give the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from drctl.core.run import Run, RunStatus
from drctl.core.summary import Figure as SummaryFigure
from drctl.core.summary import RunSummary, StepTime, summarise
from drctl.store.base import Store, load_run

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


# A step's name, status and times: the summary's own type (`seconds`, `succeeded`).
StepTiming = StepTime
# A runbook run is one engine step of this name (drctl/runbook/sequence.py) around the
# runbook's own steps: it lasts the whole run, so it is never "the slowest step".
RUNBOOK_WRAPPER = "runbook"


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
    trigger: dict[str, str] | None  # what started it (a schedule), when not a person
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
    def not_run(self) -> bool:
        """A scheduled fire the controller journaled without running it: refused by a guard
        (`skipped`) or found past its misfire grace (`missed`). It proves nothing either way,
        so it is neither a pass nor a failure; it is counted apart."""
        return self.status is RunStatus.ABORTED and self.verdict in ("skipped", "missed")

    @property
    def validated(self) -> bool:
        """A drill whose restored copy was validated."""
        return self.status is RunStatus.SUCCEEDED and self.validated_at is not None

    @property
    def runbook(self) -> str | None:
        """A runbook run's runbook id (its summary's target)."""
        return self.subject if self.kind == "runbook" else None

    @property
    def series(self) -> tuple[str, str | None, str | None]:
        """Runs whose timings are comparable: a drill of an RDS snapshot is not compared
        with a DynamoDB PITR drill of the same playbook, nor one runbook with another."""
        if self.kind == "drill":
            return self.kind, self.subject, self.drill_kind
        return self.kind, self.runbook, None

    @property
    def own_steps(self) -> tuple[StepTiming, ...]:
        """The steps a person would name: a runbook's, without the engine step around them."""
        if self.kind != "runbook":
            return self.steps
        return tuple(s for s in self.steps if s.name != RUNBOOK_WRAPPER)

    def step_seconds(self, name: str) -> float | None:
        for step in self.steps:
            if step.name == name and step.succeeded:
                return step.seconds
        return None


def load_records(store: Store, kind: str | None = None) -> list[RunRecord]:
    """Every run of `kind` (all kinds: None), oldest first: a finished run from the summary
    the store wrote when it ended; a run still going or interrupted, one whose summary
    predates step times (version 1), or one without a summary, folded from its journal."""
    summaries = {s.run_id: s for s in store.summaries(kind, None, None, HISTORY_LIMIT)}
    records = [record_from_summary(s) for s in summaries.values() if _complete(s)]
    records += [record_from_run(load_run(store, run_id))
                for run_id in store.run_ids(kind, HISTORY_LIMIT)
                if not _complete(summaries.get(run_id))]
    return sorted(records, key=lambda r: (r.started_at, r.run_id))


def _complete(summary: RunSummary | None) -> bool:
    """A summary the report can use as is: written when the run ended, with its steps."""
    return (summary is not None and summary.version >= 2
            and summary.status in {str(status) for status in FINISHED})


def record_from_run(run: Run) -> RunRecord:
    """The run's record, by the same rules as its summary's (folded here, no store)."""
    return replace(record_from_summary(summarise(run)), status=run.effective_status)


def record_from_summary(summary: RunSummary) -> RunRecord:
    return RunRecord(
        run_id=summary.run_id, kind=summary.kind, playbook=summary.playbook,
        status=RunStatus(summary.status), started_at=summary.started_at,
        ended_at=summary.ended_at, subject=summary.target, drill_kind=summary.drill_kind,
        region=summary.region, rto=_figure(summary.rto), rpo=_figure(summary.rpo),
        verdict=summary.verdict, validated_at=summary.validated_at,
        incident_start=summary.incident_start, recovered_at=summary.recovered_at,
        error=summary.error, trigger=summary.trigger, steps=summary.steps,
    )


def _figure(figure: SummaryFigure) -> Figure | None:
    """None for a kind that measures neither the figure nor has a target for it (chaos)."""
    if figure.seconds is None and figure.target_seconds is None:
        return None
    return Figure(figure.seconds, figure.target_seconds, figure.met)
