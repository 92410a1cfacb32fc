"""SQLite journal store: the local default, under `.drctl/journal.db`.

WAL with synchronous=FULL, so an appended event survives kill -9 and power loss; one
transaction per append. Safe for several processes on one host (SQLite's own locking).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from drctl.core.clock import iso, parse_iso
from drctl.core.errors import InvalidInput, UnknownRun
from drctl.core.events import Event
from drctl.core.identity import Owner
from drctl.core.lease import Lease, next_lease, renewed_lease, same_lease
from drctl.core.store import LockHeld, LockHolder

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, started_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL REFERENCES runs(run_id), seq INTEGER NOT NULL,
    at TEXT NOT NULL, type TEXT NOT NULL, step TEXT, data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_by_kind ON runs (kind, started_at);
CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY, run_id TEXT NOT NULL, holder TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, lease TEXT NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def append(self, event: Event) -> Event:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq = self._next_seq(event)
                self._db.execute(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                    (event.run_id, seq, iso(event.at), event.type, event.step,
                     json.dumps(event.data, sort_keys=True, default=str)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Event(event.run_id, event.type, event.at, event.step, event.data, seq)

    def _next_seq(self, event: Event) -> int:
        known = self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (event.run_id,)).fetchone()
        if event.type == "run_started":
            if known:
                raise InvalidInput(f"run {event.run_id} already started")
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, ?)",
                (event.run_id, event.data["kind"], iso(event.at)),
            )
            return 1
        if not known:
            raise InvalidInput(f"run {event.run_id} has no run_started event")
        row = self._db.execute(
            "SELECT MAX(seq) FROM events WHERE run_id = ?", (event.run_id,)
        ).fetchone()
        return int(row[0] or 0) + 1

    def events(self, run_id: str) -> list[Event]:
        with self._lock:
            rows = self._db.execute(
                "SELECT run_id, type, at, step, data, seq FROM events WHERE run_id = ? "
                "ORDER BY seq",
                (run_id,),
            ).fetchall()
        if not rows:
            raise UnknownRun(f"no run {run_id!r}", hint="see `drctl runs list`")
        return [Event(r[0], r[1], parse_iso(r[2]), r[3], json.loads(r[4]), r[5]) for r in rows]

    def run_ids(self, kind: str | None = None, limit: int = 100) -> list[str]:
        query = "SELECT run_id FROM runs WHERE (? IS NULL OR kind = ?) "
        query += "ORDER BY started_at DESC, run_id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, (kind, kind, limit)).fetchall()
        return [row[0] for row in rows]

    def acquire_lock(self, holder: LockHolder, replace: LockHolder | None = None
                     ) -> LockHolder:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # serialises every writer on this database
            try:
                row = self._db.execute(
                    "SELECT holder FROM locks WHERE name = ?", (holder.name,)
                ).fetchone()
                current = LockHolder.from_dict(json.loads(row[0])) if row else None
                if current is not None and current != replace:
                    raise LockHeld(current)
                self._db.execute(
                    "INSERT OR REPLACE INTO locks VALUES (?, ?, ?)",
                    (holder.name, holder.run_id, json.dumps(holder.to_dict())),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return holder

    def release_lock(self, name: str, run_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM locks WHERE name = ? AND run_id = ?", (name, run_id)
            )
        return cursor.rowcount > 0

    def lock(self, name: str) -> LockHolder | None:
        with self._lock:
            row = self._db.execute("SELECT holder FROM locks WHERE name = ?", (name,)).fetchone()
        return LockHolder.from_dict(json.loads(row[0])) if row else None

    def acquire_lease(self, name: str, holder: str, owner: Owner, ttl: float, now: datetime,
                      replace: Lease | None = None) -> Lease:
        return self._swap_lease(
            name, lambda current: next_lease(current, name, holder, owner, ttl, now, replace))

    def renew_lease(self, lease: Lease, ttl: float, now: datetime) -> Lease:
        return self._swap_lease(lease.name,
                                lambda current: renewed_lease(current, lease, ttl, now))

    def _swap_lease(self, name: str, decide: Callable[[Lease | None], Lease]) -> Lease:
        """Read, decide and write in one IMMEDIATE transaction: every writer is serialised."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                lease = decide(self._read_lease(name))
                self._db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?)",
                                 (name, json.dumps(lease.to_dict())))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return lease

    def release_lease(self, lease: Lease) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                mine = same_lease(self._read_lease(lease.name), lease)
                if mine:
                    self._db.execute("DELETE FROM leases WHERE name = ?", (lease.name,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return mine

    def lease(self, name: str) -> Lease | None:
        with self._lock:
            return self._read_lease(name)

    def _read_lease(self, name: str) -> Lease | None:
        row = self._db.execute("SELECT lease FROM leases WHERE name = ?", (name,)).fetchone()
        return Lease.from_dict(json.loads(row[0])) if row else None

    def get_setting(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def put_setting(self, key: str, value: str | None) -> None:
        with self._lock:
            if value is None:
                self._db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            self._db.close()
