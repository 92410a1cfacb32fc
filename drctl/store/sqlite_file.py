"""The SQLite journal file: created atomically, checked, versioned, migrated.

- A new journal is built under a temporary name and linked into place, so a journal file that
  exists is never legitimately empty: a zero-length `journal.db` is a truncated journal, not a
  fresh one (its lock and history are gone), and is refused rather than silently re-created.
- Schema versions live in `PRAGMA user_version`: 0 is a journal from before run summaries;
  opening it fills the summaries in once. A journal from a newer drctl is refused (exit 2).
- Any `sqlite3.DatabaseError` that means a damaged file (not a database, malformed page)
  becomes `CorruptJournal` (exit 2) with the command that moves it aside.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from drctl.core.errors import DrctlError
from drctl.store.errors import CorruptJournal, NewerJournal

SCHEMA_VERSION = 2

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
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_at, run_id);
CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY, run_id TEXT NOT NULL, holder TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, lease TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS summaries (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, started_at TEXT NOT NULL,
    playbook TEXT, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS summaries_by_start ON summaries (started_at, run_id);
CREATE INDEX IF NOT EXISTS summaries_by_kind ON summaries (kind, started_at, run_id);
"""


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """Map SQLite's errors about the file to drctl errors at the boundary."""
    try:
        yield
    except sqlite3.OperationalError as exc:  # locked, busy, cannot open: not damage
        raise DrctlError(f"the journal {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise CorruptJournal(path, str(exc)) from exc


def connect(path: Path) -> sqlite3.Connection:
    """Open the journal at `path`, creating it atomically when absent. Raises CorruptJournal,
    NewerJournal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with translated(path):
        if not path.exists():
            if Path(f"{path}-wal").exists():
                raise CorruptJournal(path, f"its write-ahead log {path.name}-wal is there "
                                           f"but the journal is not")
            _create(path)
        if path.stat().st_size == 0:
            raise CorruptJournal(path, "the file is empty (0 bytes) where a journal was")
        db = _open(path)
        _check_version(db, path)
        return db


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def _create(path: Path) -> None:
    """Build a complete empty journal beside `path` and link it in; a concurrent creator that
    links first wins and this one is discarded."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    temporary.unlink(missing_ok=True)
    db = _open(temporary)
    create_schema(db)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    db.close()
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise NewerJournal(path, version, SCHEMA_VERSION)
    if version < SCHEMA_VERSION:
        _migrate(db)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an older journal to SCHEMA_VERSION in one transaction (another process may be
    doing the same: the version is read again under the write lock)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if int(db.execute("PRAGMA user_version").fetchone()[0]) < SCHEMA_VERSION:
            create_schema(db)
            summarise_missing(db)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def create_schema(db: sqlite3.Connection) -> None:
    """Every table and index (IF NOT EXISTS), statement by statement: `executescript` would
    commit the caller's transaction."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def summarise_missing(db: sqlite3.Connection) -> int:
    """Write a summary for every run that has none (runs journaled before summaries)."""
    from drctl.store.sqlite_summaries import refresh_summary

    missing = db.execute(
        "SELECT run_id FROM runs WHERE run_id NOT IN (SELECT run_id FROM summaries)"
    ).fetchall()
    for (run_id,) in missing:
        refresh_summary(db, run_id)
    return len(missing)


def integrity_problem(db: sqlite3.Connection) -> str | None:
    """None when SQLite's quick check passes, else its first complaint."""
    rows = db.execute("PRAGMA quick_check(1)").fetchall()
    first = str(rows[0][0]) if rows else "no answer"
    return None if first == "ok" else first


def dumps(data: object) -> str:
    return json.dumps(data, sort_keys=True, default=str)
