"""RTO and RPO: the product. Definitions are in DESIGN.md §4; this module only does arithmetic.

Every figure carries its source and its target, and says met or missed; a figure that could not
be measured is None (and so not met), never a guess.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from drctl.core.clock import iso, parse_iso


@dataclass(frozen=True)
class RpoReading:
    seconds: float
    source: str  # "heartbeat:roadtrip-heartbeats", "cloudwatch:AWS/RDS/ReplicaLag"
    newest_replicated_at: str | None = None
    newest_write_at: str | None = None
    reference: str | None = None  # what the newest write was taken from
    store: str | None = None      # the data store measured (the playbook's `rpo:` key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RpoReading:
        """From `to_dict()`; a key a newer drctl added is left out, not a reason to fail."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Measurement:
    incident_start: datetime | None
    incident_start_source: str | None
    recovered_at: datetime | None
    rto_seconds: float | None
    rpo: RpoReading | None
    rto_target_seconds: float
    rpo_target_seconds: float

    @property
    def rto_met(self) -> bool:
        return self.rto_seconds is not None and self.rto_seconds <= self.rto_target_seconds

    @property
    def rpo_met(self) -> bool:
        return self.rpo is not None and self.rpo.seconds <= self.rpo_target_seconds

    @property
    def rto_lower_bound(self) -> bool:
        """No alarm fired: the RTO runs from the failover's own start, so the outage may
        have begun earlier than this figure says."""
        return self.incident_start_source == "failover_start"

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_start": iso(self.incident_start),
            "incident_start_source": self.incident_start_source,
            "recovered_at": iso(self.recovered_at),
            "rto_seconds": self.rto_seconds,
            "rto_target_seconds": self.rto_target_seconds,
            # Unmeasured is not missed: null (shown as "not measured"), never false.
            "rto_met": self.rto_met if self.rto_seconds is not None else None,
            "rto_lower_bound": self.rto_lower_bound,
            "rpo_seconds": self.rpo.seconds if self.rpo else None,
            "rpo_source": self.rpo.source if self.rpo else None,
            "rpo_detail": self.rpo.to_dict() if self.rpo else None,
            "rpo_target_seconds": self.rpo_target_seconds,
            "rpo_met": self.rpo_met if self.rpo is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """From `to_dict()` (the derived keys -- met, lower bound -- are recomputed). A
        journal older than `rpo_detail` gives the RPO's seconds and source only."""
        detail, seconds = data.get("rpo_detail"), data.get("rpo_seconds")
        rpo = RpoReading.from_dict(detail) if detail else None
        if rpo is None and seconds is not None:
            rpo = RpoReading(float(seconds), str(data.get("rpo_source") or ""))
        return cls(_time(data.get("incident_start")), data.get("incident_start_source"),
                   _time(data.get("recovered_at")), data.get("rto_seconds"), rpo,
                   data["rto_target_seconds"], data["rpo_target_seconds"])


def measure_recovery(
    incident_start: datetime | None,
    incident_start_source: str | None,
    recovered_at: datetime | None,
    rpo: RpoReading | None,
    rto_target: float,
    rpo_target: float,
) -> Measurement:
    """RTO = recovered_at - incident_start, when both are known and in that order (a recovery
    "before" the incident means a wrong start time: no figure rather than a false one)."""
    rto = None
    if incident_start is not None and recovered_at is not None:
        seconds = (recovered_at - incident_start).total_seconds()
        rto = round(seconds, 3) if seconds >= 0 else None
    return Measurement(incident_start, incident_start_source, recovered_at, rto, rpo,
                       rto_target, rpo_target)


def _time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
