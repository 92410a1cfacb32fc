"""Run summaries: one small typed row per run, so listing and reports never fold whole journals.

A summary is derived from the journal alone (`summarise(run)`), so it can always be rebuilt: the
store keeps it current whenever a lifecycle event is appended (start, wait, resume, interrupt,
finish), and a store opened on a journal older than summaries fills them in once (migration).

Figures: `rto_*`/`rpo_*` are None when the run did not measure them, and so are their `*_met`
(unmeasured is not missed). `targets_met` is False when any measured figure missed its target,
True when every figure was measured and met, and None otherwise. `status` is as journaled: a
`running` run whose process died is reported `interrupted` by whoever lists it (liveness is
not the summary's business, and is no I/O here).

Version 2 adds what `drctl report` needs so it never folds a finished run's journal: each
step's times (durations, the slowest step, regressions, the timeline), the drill kind, the
region the run ended in, and the incident/recovery/validation times. A version 1 summary
still reads (those fields empty, `version` 1): a reader that needs them folds the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drctl.core.clock import iso, parse_iso
from drctl.core.errors import InvalidInput
from drctl.core.events import Event
from drctl.core.figures import DrillFigures
from drctl.core.measurement import Measurement
from drctl.core.run import Run

SUMMARY_VERSION = 2


@dataclass(frozen=True)
class Figure:
    """One recovery figure against its target; all None when the run did not measure it."""

    seconds: float | None = None
    target_seconds: float | None = None

    @property
    def met(self) -> bool | None:
        if self.seconds is None or self.target_seconds is None:
            return None
        return self.seconds <= self.target_seconds


@dataclass(frozen=True)
class StepTime:
    """One step of the run: its status as journaled, when it started and ended (None: not)."""

    name: str
    status: str
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds(), 3)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status,
                "started_at": iso(self.started_at), "ended_at": iso(self.ended_at)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepTime:
        return cls(data["name"], data["status"], _time(data.get("started_at")),
                   _time(data.get("ended_at")))


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    kind: str
    status: str
    started_at: datetime
    ended_at: datetime | None = None
    playbook: str | None = None
    playbook_path: str | None = None
    target: str | None = None  # failover: target region; drill: its target; chaos: experiment
    rto: Figure = field(default_factory=Figure)
    rpo: Figure = field(default_factory=Figure)
    verdict: str | None = None
    # What started it when not a person at a shell, as its starter gave it in the run's params
    # (`{"schedule": NAME, "fire_time": ISO}` from the controller); None otherwise.
    trigger: dict[str, str] | None = None
    error: str | None = None
    line: str = ""  # one human line, kind-specific
    owner: dict[str, Any] = field(default_factory=dict)  # user, host, pid of the last process
    # Version 2 (see the module's docstring).
    drill_kind: str | None = None
    region: str | None = None  # the region the run ended in (its metrics are published there)
    steps: tuple[StepTime, ...] = ()
    incident_start: datetime | None = None
    recovered_at: datetime | None = None
    validated_at: datetime | None = None  # a drill's restored copy was validated
    version: int = SUMMARY_VERSION

    @property
    def targets_met(self) -> bool | None:
        verdicts = [self.rto.met, self.rpo.met]
        if False in verdicts:
            return False
        return True if None not in verdicts else None

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape (`runs list --json`)."""
        return {
            "version": self.version, "run_id": self.run_id, "kind": self.kind,
            "status": self.status, "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at), "playbook": self.playbook,
            "playbook_path": self.playbook_path, "target": self.target,
            "rto_seconds": self.rto.seconds, "rto_target_seconds": self.rto.target_seconds,
            "rto_met": self.rto.met, "rpo_seconds": self.rpo.seconds,
            "rpo_target_seconds": self.rpo.target_seconds, "rpo_met": self.rpo.met,
            "targets_met": self.targets_met, "verdict": self.verdict,
            "trigger": dict(self.trigger) if self.trigger else None,
            "error": self.error, "line": self.line, "owner": self.owner,
        }

    def stored(self) -> dict[str, Any]:
        """What the stores keep: the documented shape and, from version 2, what a report
        reads (not shown by `runs list --json`, whose shape stays as documented)."""
        return {**self.to_dict(), "drill_kind": self.drill_kind, "region": self.region,
                "steps": [step.to_dict() for step in self.steps],
                "incident_start": iso(self.incident_start),
                "recovered_at": iso(self.recovered_at), "validated_at": iso(self.validated_at)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        """From `stored()` (any version; what a version lacks is left empty)."""
        return cls(
            run_id=data["run_id"], kind=data["kind"], status=data["status"],
            started_at=parse_iso(data["started_at"]),
            ended_at=parse_iso(data["ended_at"]) if data.get("ended_at") else None,
            playbook=data.get("playbook"), playbook_path=data.get("playbook_path"),
            target=data.get("target"),
            rto=Figure(data.get("rto_seconds"), data.get("rto_target_seconds")),
            rpo=Figure(data.get("rpo_seconds"), data.get("rpo_target_seconds")),
            verdict=data.get("verdict"), trigger=data.get("trigger") or None,
            error=data.get("error"), line=data.get("line", ""), owner=data.get("owner", {}),
            drill_kind=data.get("drill_kind"), region=data.get("region"),
            steps=tuple(StepTime.from_dict(step) for step in data.get("steps") or ()),
            incident_start=_time(data.get("incident_start")),
            recovered_at=_time(data.get("recovered_at")),
            validated_at=_time(data.get("validated_at")), version=int(data.get("version", 1)),
        )


def summary_of(events: list[Event]) -> RunSummary:
    """The summary of a journal. InvalidInput when the journal does not fold (an event whose
    payload is not of its type): a store refuses to append such an event."""
    try:
        return summarise(Run.from_events(events))
    except (ValueError, KeyError, TypeError) as exc:
        run_id = events[0].run_id if events else "?"
        raise InvalidInput(f"run {run_id}: the journal does not fold: {exc!r}") from exc


def summarise(run: Run) -> RunSummary:
    """The summary of a run folded from its journal. Pure: no I/O."""
    figures = run.figures
    recovery = figures.recovery if figures is not None else None
    return RunSummary(
        run_id=run.run_id, kind=run.kind, status=str(run.status), started_at=run.started_at,
        ended_at=run.ended_at, playbook=_text(run.params.get("playbook")),
        playbook_path=_text(run.params.get("playbook_path")), target=_target(run),
        rto=_rto(recovery, run.params), rpo=_rpo(recovery, run.params),
        verdict=figures.verdict if figures is not None else None,
        trigger=_trigger(run.params),
        error=run.error, line=_line(run), owner=dict(run.owner),
        drill_kind=_text(run.params.get("kind")) if run.kind == "drill" else None,
        region=_region(run.params),
        steps=tuple(StepTime(s.name, str(s.status), s.started_at, s.ended_at)
                    for s in run.steps),
        incident_start=recovery.incident_start if recovery is not None else None,
        recovered_at=recovery.recovered_at if recovery is not None else None,
        validated_at=figures.validated_at if figures is not None else None,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _region(params: dict[str, Any]) -> str | None:
    """Where the run ended: a failover's target, a drill's restore region, chaos's first, a
    runbook's `target_region` or `region` param."""
    regions = params.get("target_regions") or []
    values = params.get("values")
    given = values if isinstance(values, dict) else {}
    return _text(params.get("target_region") or params.get("restore_region")
                 or params.get("region") or (regions[0] if regions else None)
                 or given.get("target_region") or given.get("region"))


def _target(run: Run) -> str | None:
    params = run.params
    for key in ("target_region", "target", "experiment"):
        if params.get(key):
            return str(params[key])
    return None


def _rto(recovery: Measurement | None, params: dict[str, Any]) -> Figure:
    if recovery is None:
        return _figure(None, params.get("rto_target_seconds"))
    return _figure(recovery.rto_seconds, recovery.rto_target_seconds)


def _rpo(recovery: Measurement | None, params: dict[str, Any]) -> Figure:
    """Unmeasured (no figures, or a kind that measures none): the target its params gave."""
    if recovery is None:
        return _figure(None, params.get("rpo_target_seconds"))
    rpo = recovery.rpo
    return _figure(rpo.seconds if rpo else None, recovery.rpo_target_seconds)


def _figure(seconds: Any, target: Any) -> Figure:
    return Figure(None if seconds is None else float(seconds),
                  None if target is None else float(target))


def _trigger(params: dict[str, Any]) -> dict[str, str] | None:
    """`params.trigger` as a scheduler or alarm watcher gave it, its values as text."""
    given = params.get("trigger")
    if not isinstance(given, dict) or not given:
        return None
    return {str(k): str(v) for k, v in given.items() if v is not None}


def _line(run: Run) -> str:
    """One short line a person reads in a list: what the run did, in the kind's words."""
    params, figures = run.params, run.figures
    if run.kind == "failover":
        return f"{params.get('failed_region', '?')} -> {params.get('target_region', '?')}"
    if run.kind == "drill":
        said = figures.rpo_verdict if isinstance(figures, DrillFigures) else None
        return str(said or
                   f"{params.get('kind', '')} drill of {params.get('target', '?')}").strip()
    if run.kind == "chaos":
        reason = figures.verdict_reason if figures is not None else None
        return f"{figures.verdict or '-'}: {reason}" if figures and reason else str(
            params.get("experiment", ""))
    return str(params.get("name") or params.get("playbook") or "")

