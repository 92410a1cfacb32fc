"""Errors about the journal itself (not about a run): damaged, or from a newer drctl."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from drctl.core.errors import InvalidInput


class CorruptJournal(InvalidInput):
    """The journal file is damaged: nothing is read from or written to it."""

    def __init__(self, path: Path, why: str) -> None:
        # The -wal/-shm files go too: a stale write-ahead log would be replayed into the
        # next journal. A dated folder, so an earlier incident's files are never overwritten.
        aside = path.parent / f"corrupt-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
        super().__init__(
            f"the journal {path} is corrupt ({why}); nothing was changed",
            hint=f"move it aside (drctl then starts a new, empty journal): "
                 f"mkdir {aside} && mv {path}* {aside}/",
        )


class NewerJournal(InvalidInput):
    def __init__(self, where: object, version: int, known: int) -> None:
        super().__init__(
            f"the journal {where} was written by a newer drctl (schema {version}; this drctl "
            f"reads up to {known}); nothing was changed",
            hint="upgrade drctl (`pip install -U drctl`), or use another --state-dir/--state",
        )
