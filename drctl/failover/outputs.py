"""What the failover's steps establish for its measurement, typed: each is written by one
step (as keys of its journaled output, so `runs show --json` keeps their names) and read back
from the run's facts by the same class -- by the later steps that build on it and by the
measurement (drctl/failover/measure.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.core.clock import iso, parse_iso
from drctl.core.measurement import RpoReading
from drctl.failover.rpo_stores import StoreRpo, notes_of, worst


@dataclass(frozen=True)
class IncidentStart:
    """detect: when the outage began, and how that is known (an alarm, the operator, or the
    failover's own start when no alarm fired)."""

    at: datetime
    source: str

    def to_output(self) -> dict[str, Any]:
        return {"incident_start": iso(self.at), "incident_start_source": self.source}

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> IncidentStart | None:
        text = facts.get("incident_start")
        return cls(parse_iso(text), str(facts.get("incident_start_source"))) if text else None


@dataclass(frozen=True)
class RpoAtCut:
    """switch_dns: each data store's RPO read at the cut, and the run's (the worst store's)."""

    rpo: RpoReading | None
    read_at: datetime | None  # None in journals from before the RPO was read at the cut
    stores: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, stores: list[StoreRpo], read_at: datetime) -> RpoAtCut:
        return cls(worst(stores), read_at, tuple(s.to_dict() for s in stores),
                   tuple(notes_of(stores)))

    def to_output(self) -> dict[str, Any]:
        return {"rpo": self.rpo.to_dict() if self.rpo else None, "rpo_read_at": iso(self.read_at),
                "rpo_stores": list(self.stores), "rpo_notes": list(self.notes)}

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> RpoAtCut | None:
        read_at, rpo = facts.get("rpo_read_at"), facts.get("rpo")
        if not read_at and not rpo:
            return None
        return cls(RpoReading.from_dict(rpo) if rpo else None,
                   parse_iso(read_at) if read_at else None,
                   tuple(facts.get("rpo_stores") or ()), tuple(facts.get("rpo_notes") or ()))


@dataclass(frozen=True)
class SmokePassed:
    """smoke_test: the first time every check passed in the target region (the RTO's end)."""

    at: datetime
    attempts: int

    def to_output(self) -> dict[str, Any]:
        return {"smoke_passed_at": iso(self.at), "smoke_attempts": self.attempts}

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> SmokePassed | None:
        text = facts.get("smoke_passed_at")
        return cls(parse_iso(text), int(facts.get("smoke_attempts") or 0)) if text else None
