"""Drill resources: how they are named and tagged, and what one drill has made so far.

Every resource a drill creates carries two tags: `drctl:managed-by = drctl-drill` and
`drctl:drill = RUN_ID`. Cleanup -- at the end of a drill and in `drctl drill cleanup` -- deletes
only resources carrying both, so nothing an operator made is ever touched, whatever its name.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from drctl.core.clock import iso, parse_iso

MANAGED_BY_TAG = "drctl:managed-by"
MANAGED_BY = "drctl-drill"
RUN_TAG = "drctl:drill"
DRILL_TAG_KEYS = (MANAGED_BY_TAG, RUN_TAG)

DYNAMODB_TABLE = "dynamodb-table"
RDS_INSTANCE = "rds-instance"
RDS_SNAPSHOT = "rds-snapshot"
S3_BUCKET = "s3-bucket"


def drill_tags(run_id: str) -> dict[str, str]:
    return {MANAGED_BY_TAG: MANAGED_BY, RUN_TAG: run_id}


def is_drill_resource(tags: dict[str, str]) -> bool:
    return tags.get(MANAGED_BY_TAG) == MANAGED_BY and bool(tags.get(RUN_TAG))


def drill_name(source: str, run_id: str, suffix: str = "") -> str:
    """`<source>-drill-<run token>[-suffix]`, valid as a table name, an RDS identifier and a
    bucket name (lowercase letters, digits, single hyphens, at most 63 characters)."""
    token = run_id.rsplit("-", 1)[-1].lower()
    tail = f"-drill-{token}" + (f"-{suffix}" if suffix else "")
    head = re.sub(r"[^a-z0-9-]", "-", source.lower())
    head = re.sub(r"-+", "-", head).strip("-")[: 63 - len(tail)].rstrip("-")
    if not head or not head[0].isalpha():
        head = f"d{head}"[: 63 - len(tail)].rstrip("-")
    return head + tail


@dataclass(frozen=True)
class Resource:
    type: str     # DYNAMODB_TABLE, RDS_INSTANCE, RDS_SNAPSHOT
    region: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Resource:
        return cls(data["type"], data["region"], data["name"])

    def describe(self) -> str:
        return f"{self.type} {self.name} ({self.region})"


TIMES = ("started_at", "requested_restore_point", "restore_point", "rpo_measured_at",
         "restore_started_at", "available_at", "validated_at")


@dataclass
class DrillState:
    """What the steps of one drill know. Each step journals what it changed of it (a
    `step_facts` event, drctl/drill/journaled.py) -- a failed step too -- so the drill's figures
    are recomputed from the journal (`from_facts`), not taken from this process's memory.
    """

    started_at: datetime
    resources: list[Resource] = field(default_factory=list)
    requested_restore_point: datetime | None = None
    restore_point: datetime | None = None
    restore_point_source: str | None = None
    rpo_measured_at: datetime | None = None  # the RPO's reference, when not the drill start
    restore_started_at: datetime | None = None
    available_at: datetime | None = None
    validated_at: datetime | None = None
    copy_seconds: float | None = None
    validation: dict[str, Any] | None = None
    cleanup: dict[str, Any] | None = None
    targets_met: bool | None = None  # judged after validation; None: not reached

    def created(self, resource: Resource) -> None:
        if resource not in self.resources:
            self.resources.append(resource)

    def restored(self, type_: str) -> Resource | None:
        return next((r for r in self.resources if r.type == type_), None)

    def to_facts(self) -> dict[str, Any]:
        """The state as journaled: times as ISO 8601, resources as dicts."""
        facts = {name: getattr(self, name) for name in self.__dataclass_fields__}
        facts.update({name: iso(getattr(self, name)) for name in TIMES})
        facts["resources"] = [r.to_dict() for r in self.resources]
        return facts

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> DrillState:
        known = {k: v for k, v in facts.items() if k in cls.__dataclass_fields__}
        known.update({k: parse_iso(v) if v else None for k, v in known.items() if k in TIMES})
        known["resources"] = [Resource.from_dict(r) for r in known.get("resources") or []]
        return cls(**known)
