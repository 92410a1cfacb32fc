"""Journal events: the append-only record of a Run, and the one stream every subscriber reads.

Version 1 event types and their `data`:

    run_started      {kind, params, user, host, pid, version}
    step_started     {index, total, attempt}
    step_progress    {message}                       (not journaled: display only)
    step_succeeded   {output, skipped_apply}
    step_failed      {error, error_type, changed}
    run_waiting      {reason}
    run_measured     {measurement}
    run_finished     {status, error?}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JOURNAL_VERSION = 1

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
