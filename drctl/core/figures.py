"""Each kind's measurement as a typed object: what `run_measured` carries, and its one reader.

A kind computes its figures (drctl/failover/measure.py, drctl/drill/measure.py, the chaos
verdict, drctl/runbook/measure.py) into one of the classes below; the engine journals its
`to_dict()` (`Engine.measured`), and the fold reads it back with `read_figures(kind, document)`
into `Run.figures`. Everything that reads a run's figures (summaries, metrics, the chaos
catalog, the runbook timeline) reads that typed object, never the document. `runs show --json`
shows the document as journaled, at the run's top level (its documented fields).

The types live here, beside the journal's vocabulary, because the fold (drctl/core/run.py)
reads them back and the core imports no kind's package.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import structlog

from drctl.core.clock import iso, parse_iso
from drctl.core.measurement import Measurement

log = structlog.get_logger("drctl.figures")


@dataclass(frozen=True)
class FireVerdict:
    """A run that did not run (a scheduled fire refused or missed): its verdict and why."""

    verdict: str
    verdict_reason: str

    recovery = None
    validated_at = None

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "verdict_reason": self.verdict_reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FireVerdict:
        return cls(str(data.get("verdict")), str(data.get("verdict_reason") or ""))


@dataclass(frozen=True)
class FailoverFigures:
    """What a failover journals: RTO/RPO against the targets, and each data store's RPO
    (the run's is the worst store's)."""

    recovery: Measurement
    rpo_stores: list[dict[str, Any]] = field(default_factory=list)

    verdict = None
    verdict_reason = None
    validated_at = None

    @property
    def rto_lower_bound(self) -> bool:
        return self.recovery.rto_lower_bound

    def to_dict(self) -> dict[str, Any]:
        return {**self.recovery.to_dict(), "rpo_stores": self.rpo_stores}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailoverFigures:
        return cls(Measurement.from_dict(data), list(data.get("rpo_stores") or []))


@dataclass(frozen=True)
class DrillFigures:
    """What a drill journals: RTO/RPO against its targets, and the times, restore points,
    resources, validation and cleanup they were judged from."""

    recovery: Measurement
    target: str
    drill_kind: str
    drill_started_at: datetime
    restore_started_at: datetime | None
    available_at: datetime | None
    validated_at: datetime | None
    requested_restore_point: str | None
    restore_point: datetime | None
    effective_restore_point: str | None
    effective_rpo_seconds: float | None
    copy_seconds: float | None
    restored: list[dict[str, str]]
    validation: dict[str, Any] | None
    cleanup: dict[str, Any] | None
    rpo_verdict: str
    # False too when the drill never got to judge them: nothing was proven recoverable.
    targets_met: bool

    verdict = None
    verdict_reason = None

    @property
    def rto_lower_bound(self) -> bool:
        return self.recovery.rto_lower_bound

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.recovery.to_dict(),
            "target": self.target, "drill_kind": self.drill_kind,
            "drill_started_at": iso(self.drill_started_at),
            "restore_started_at": iso(self.restore_started_at),
            "available_at": iso(self.available_at), "validated_at": iso(self.validated_at),
            "requested_restore_point": self.requested_restore_point,
            "restore_point": iso(self.restore_point),
            "effective_restore_point": self.effective_restore_point,
            "effective_rpo_seconds": self.effective_rpo_seconds,
            "copy_seconds": self.copy_seconds, "restored": self.restored,
            "validation": self.validation, "cleanup": self.cleanup,
            "rpo_verdict": self.rpo_verdict, "targets_met": self.targets_met,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrillFigures:
        return cls(
            Measurement.from_dict(data), str(data["target"]), str(data["drill_kind"]),
            parse_iso(data["drill_started_at"]), _time(data.get("restore_started_at")),
            _time(data.get("available_at")), _time(data.get("validated_at")),
            data.get("requested_restore_point"), _time(data.get("restore_point")),
            data.get("effective_restore_point"), data.get("effective_rpo_seconds"),
            data.get("copy_seconds"), list(data.get("restored") or []),
            data.get("validation"), data.get("cleanup"), str(data.get("rpo_verdict") or ""),
            bool(data.get("targets_met")))


@dataclass(frozen=True)
class ChaosFigures:
    """What an experiment journals: drctl's verdict and why, who stopped it, and chaoslib's
    own journal."""

    verdict: str
    verdict_reason: str
    stopped_by: str | None
    steady_state_declared: bool
    journal: dict[str, Any] | None

    recovery = None
    validated_at = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChaosFigures:
        return cls(str(data["verdict"]), str(data.get("verdict_reason") or ""),
                   data.get("stopped_by"), bool(data.get("steady_state_declared")),
                   data.get("journal"))


@dataclass(frozen=True)
class RunbookFigures:
    """What a runbook run with `measures:` journals."""

    recovery: Measurement
    # No incident start was given: the RTO runs from the runbook's own start, so the outage
    # may have begun earlier than the figure says.
    rto_lower_bound: bool

    verdict = None
    verdict_reason = None
    validated_at = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.recovery.to_dict(), "rto_lower_bound": self.rto_lower_bound}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunbookFigures:
        return cls(Measurement.from_dict(data), bool(data.get("rto_lower_bound")))


Figures = FailoverFigures | DrillFigures | ChaosFigures | RunbookFigures | FireVerdict

# One reader per kind. A kind that measures nothing (reprotect, drill-cleanup) has none.
_READERS: dict[str, Any] = {
    "failover": FailoverFigures.from_dict, "drill": DrillFigures.from_dict,
    "chaos": ChaosFigures.from_dict, "runbook": RunbookFigures.from_dict,
}
_VERDICT_ONLY = frozenset(("verdict", "verdict_reason"))


def read_figures(kind: str, document: dict[str, Any]) -> Figures | None:
    """The typed figures of a `run_measured` document of a `kind` run: None when there are
    none, or when a document this drctl cannot read (a newer drctl's, a damaged one) -- that is
    logged, and the run then reads as not measured; the journal keeps the document as written."""
    if not document:
        return None
    if set(document) <= _VERDICT_ONLY:
        return FireVerdict.from_dict(document)
    reader = _READERS.get(kind)
    if reader is None:
        return None
    try:
        figures: Figures = reader(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("measurement_unreadable", kind=kind, error=repr(exc))
        return None
    return figures


def _time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
