"""SQLite journal store: the local default, under `.drctl/journal.db`.

WAL with synchronous=FULL, so an appended event survives kill -9 and power loss; one
transaction per append (or per `append_many`). Safe for several processes on one host (SQLite's
own locking). The file itself (creation, versions, damage) is `sqlite_file`'s; summaries are
`sqlite_summaries`'.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from drctl.core.clock import iso
from drctl.core.errors import InvalidInput, UnknownRun
from drctl.core.events import Event, is_lifecycle
from drctl.core.lease import Lease, same_lease
from drctl.core.store import LockHeld, LockHolder
from drctl.core.summary import RunSummary
from drctl.store.errors import CorruptJournal
from drctl.store.lease_swap import LeaseSwap
from drctl.store.sqlite_file import connect, dumps, integrity_problem, translated
from drctl.store.sqlite_summaries import (
    ids_with_prefix,
    read_events,
    refresh_summary,
    select_summaries,
    write_summary,
)


class SqliteStore(LeaseSwap):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path)
        self._lock = threading.Lock()
        self._checked = False

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock, translated(self.path):
            yield self._db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, after the file's integrity was checked once: nothing is
        written into a damaged journal."""
        with self._locked() as db:
            if not self._checked:
                problem = integrity_problem(db)
                if problem is not None:
                    raise CorruptJournal(self.path, problem)
                self._checked = True
            # A Ctrl-C is raised into this thread wherever it lands: just after BEGIN or
            # COMMIT returned too. So BEGIN is inside the try, and only a transaction still
            # open is rolled back -- a failed ROLLBACK must not replace the interrupt.
            try:
                db.execute("BEGIN IMMEDIATE")  # serialises every writer on this database
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def check_integrity(self) -> None:
        """Raise CorruptJournal unless SQLite's quick check passes."""
        with self._locked() as db:
            problem = integrity_problem(db)
        if problem is not None:
            raise CorruptJournal(self.path, problem)

    def append(self, event: Event) -> Event:
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[Event]) -> list[Event]:
        """One transaction, so one fsync however many events."""
        with self._writing() as db:
            return [self._insert(db, event) for event in events]

    def _insert(self, db: sqlite3.Connection, event: Event) -> Event:
        seq = self._next_seq(db, event)
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (event.run_id, seq, iso(event.at), event.type, event.step, dumps(event.data)),
        )
        if is_lifecycle(event.type):
            refresh_summary(db, event.run_id)
        return Event(event.run_id, event.type, event.at, event.step, event.data, seq)

    def _next_seq(self, db: sqlite3.Connection, event: Event) -> int:
        known = db.execute("SELECT 1 FROM runs WHERE run_id = ?", (event.run_id,)).fetchone()
        if event.type == "run_started":
            if known:
                raise InvalidInput(f"run {event.run_id} already started")
            db.execute("INSERT INTO runs VALUES (?, ?, ?)",
                       (event.run_id, event.data["kind"], iso(event.at)))
            return 1
        if not known:
            raise InvalidInput(f"run {event.run_id} has no run_started event")
        row = db.execute("SELECT MAX(seq) FROM events WHERE run_id = ?",
                         (event.run_id,)).fetchone()
        return int(row[0] or 0) + 1

    def events(self, run_id: str) -> list[Event]:
        with self._locked() as db:
            events = read_events(db, run_id)
        if not events:
            raise UnknownRun(f"no run {run_id!r}", hint="see `drctl runs list`")
        return events

    def run_ids(self, kind: str | None = None, limit: int = 100) -> list[str]:
        query = "SELECT run_id FROM runs WHERE (? IS NULL OR kind = ?) "
        query += "ORDER BY started_at DESC, run_id DESC LIMIT ?"
        with self._locked() as db:
            rows = db.execute(query, (kind, kind, limit)).fetchall()
        return [row[0] for row in rows]

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        with self._locked() as db:
            return ids_with_prefix(db, prefix, limit)

    def summaries(self, kind: str | None = None, since: datetime | None = None,
                  playbook: str | None = None, limit: int = 100) -> list[RunSummary]:
        with self._locked() as db:
            return select_summaries(db, kind, since, playbook, limit)

    def put_summary(self, summary: RunSummary) -> None:
        with self._writing() as db:
            write_summary(db, summary)

    def acquire_lock(self, holder: LockHolder, replace: LockHolder | None = None
                     ) -> LockHolder:
        with self._writing() as db:
            row = db.execute("SELECT holder FROM locks WHERE name = ?",
                             (holder.name,)).fetchone()
            current = LockHolder.from_dict(json.loads(row[0])) if row else None
            if current is not None and current != replace:
                raise LockHeld(current)
            db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?, ?)",
                       (holder.name, holder.run_id, json.dumps(holder.to_dict())))
        return holder

    def acquire_free_locks(self, holders: Sequence[LockHolder]) -> list[LockHolder]:
        with self._writing() as db:
            taken = [h for h in holders if db.execute(
                "INSERT OR IGNORE INTO locks VALUES (?, ?, ?)",
                (h.name, h.run_id, json.dumps(h.to_dict()))).rowcount == 1]
        return taken

    def release_lock(self, name: str, run_id: str) -> bool:
        with self._locked() as db:
            cursor = db.execute("DELETE FROM locks WHERE name = ? AND run_id = ?",
                                (name, run_id))
        return cursor.rowcount > 0

    def lock(self, name: str) -> LockHolder | None:
        with self._locked() as db:
            row = db.execute("SELECT holder FROM locks WHERE name = ?", (name,)).fetchone()
        return LockHolder.from_dict(json.loads(row[0])) if row else None

    def _swap_lease(self, name: str, decide: Callable[[Lease | None], Lease]) -> Lease:
        """Read, decide and write in one IMMEDIATE transaction: every writer is serialised."""
        with self._writing() as db:
            lease = decide(_read_lease(db, name))
            db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?)",
                       (name, json.dumps(lease.to_dict())))
        return lease

    def release_lease(self, lease: Lease) -> bool:
        with self._writing() as db:
            mine = same_lease(_read_lease(db, lease.name), lease)
            if mine:
                db.execute("DELETE FROM leases WHERE name = ?", (lease.name,))
        return mine

    def lease(self, name: str) -> Lease | None:
        with self._locked() as db:
            return _read_lease(db, name)

    def get_setting(self, key: str) -> str | None:
        with self._locked() as db:
            row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def put_setting(self, key: str, value: str | None) -> None:
        self.put_settings({key: value})

    def put_settings(self, values: Mapping[str, str | None]) -> None:
        with self._writing() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM settings WHERE key = ?", (key,))
                else:
                    db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _read_lease(db: sqlite3.Connection, name: str) -> Lease | None:
    row = db.execute("SELECT lease FROM leases WHERE name = ?", (name,)).fetchone()
    return Lease.from_dict(json.loads(row[0])) if row else None
