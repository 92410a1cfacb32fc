"""The RPO of every data store, and the run's: the worst store's.

Each store (the playbook's `rpo:` maps store -> sources, best first) is measured by its first
source that gives a figure. A store none of whose sources gives one is unmeasured, and then so
is the run's RPO: a maximum with an unknown term is unknown, and reporting the others' would
claim a recovery point nobody checked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.measurement import RpoReading
from drctl.failover.rpo import read_rpo
from drctl.playbook.schema import RpoSource


@dataclass(frozen=True)
class StoreRpo:
    store: str
    reading: RpoReading | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.store, "rpo_seconds": self.reading.seconds if self.reading else None,
                "rpo_source": self.reading.source if self.reading else None,
                "rpo_detail": self.reading.to_dict() if self.reading else None,
                "notes": list(self.notes)}


def read_stores(
    stores: dict[str, list[RpoSource]], aws: Aws, failed: str, target: str,
    incident_start: datetime, now: datetime, replica: str | None = None,
) -> list[StoreRpo]:
    """Each store's RPO (None when no source of it could be read), with notes on the sources
    that gave nothing. `replica`: the database promoted in `target` (see `read_rpo`)."""
    found = []
    for store, sources in stores.items():
        reading, notes = read_rpo(sources, aws, failed, target, incident_start, now, replica)
        found.append(StoreRpo(store, replace(reading, store=store) if reading else None,
                              tuple(notes)))
    return found


def worst(stores: list[StoreRpo]) -> RpoReading | None:
    """The run's RPO: the worst store's; None when any store is unmeasured."""
    if not stores or any(s.reading is None for s in stores):
        return None
    return max((s.reading for s in stores if s.reading is not None), key=lambda r: r.seconds)


def notes_of(stores: list[StoreRpo]) -> list[str]:
    notes = [f"{s.store}: {note}" for s in stores for note in s.notes]
    notes += [f"{s.store}: not measured, so neither is the run's RPO"
              for s in stores if s.reading is None]
    return notes
