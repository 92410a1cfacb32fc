"""Journal events: the append-only record of a Run, and the one stream every subscriber reads.

The vocabulary -- every event type and its payload type -- is documented in one place,
drctl/core/vocabulary.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drctl.core.errors import InvalidInput

JOURNAL_VERSION = 1


class JournalTooNew(InvalidInput):
    """A run journaled by a newer drctl: this one might misread it, so it does not read it."""


def check_version(started: Event) -> None:
    """Raise JournalTooNew (exit 2) when `run_started` says a newer journal version."""
    version = int(started.data.get("version") or 1)
    if version > JOURNAL_VERSION:
        raise JournalTooNew(
            f"run {started.run_id} was journaled by a newer drctl (journal version {version}; "
            f"this drctl reads up to {JOURNAL_VERSION})",
            hint="upgrade drctl (`pip install -U drctl`) to read or resume it")

# Events shown to people but not worth an fsync each.
EPHEMERAL = frozenset({"step_progress"})


@dataclass(frozen=True)
class Event:
    run_id: str
    type: str
    at: datetime
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    @property
    def journaled(self) -> bool:
        return self.type not in EPHEMERAL


def is_lifecycle(type_: str) -> bool:
    """Events that change a run as a whole (`run_*`): each one refreshes the run's summary."""
    return type_.startswith("run_")
