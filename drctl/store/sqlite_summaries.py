"""Run summaries and id lookups in the SQLite journal: indexed queries, never a scan of journals.

Functions take the connection; the caller (SqliteStore) holds its lock and, for writes, the
transaction, so a summary is written in the same transaction as the event that changed it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from drctl.core.clock import iso, parse_iso
from drctl.core.events import Event
from drctl.core.summary import RunSummary, summary_of
from drctl.store.sqlite_file import dumps


def read_events(db: sqlite3.Connection, run_id: str) -> list[Event]:
    rows = db.execute(
        "SELECT run_id, type, at, step, data, seq FROM events WHERE run_id = ? ORDER BY seq",
        (run_id,),
    ).fetchall()
    return [Event(r[0], r[1], parse_iso(r[2]), r[3], json.loads(r[4]), r[5]) for r in rows]


def refresh_summary(db: sqlite3.Connection, run_id: str) -> None:
    """Fold the run's journal and (re)write its summary."""
    write_summary(db, summary_of(read_events(db, run_id)))


def write_summary(db: sqlite3.Connection, summary: RunSummary) -> None:
    db.execute(
        "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?)",
        (summary.run_id, summary.kind, iso(summary.started_at), summary.playbook,
         dumps(summary.stored())),
    )


def select_summaries(db: sqlite3.Connection, kind: str | None, since: datetime | None,
                     playbook: str | None, limit: int) -> list[RunSummary]:
    clauses, args = _filters(kind, since, playbook)
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    rows = db.execute(
        f"SELECT data FROM summaries {where}ORDER BY started_at DESC, run_id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [RunSummary.from_dict(json.loads(row[0])) for row in rows]


def _filters(kind: str | None, since: datetime | None, playbook: str | None
             ) -> tuple[list[str], list[str]]:
    clauses: list[str] = []
    args: list[str] = []
    for clause, value in (("kind = ?", kind), ("started_at >= ?", iso(since)),
                          ("playbook = ?", playbook)):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    return clauses, args


def ids_with_prefix(db: sqlite3.Connection, prefix: str, limit: int) -> list[str]:
    """Run ids starting with `prefix`, in id order: a range over the primary key."""
    rows = db.execute(
        "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT ?",
        (prefix, prefix + "\U0010ffff", limit),
    ).fetchall()
    return [row[0] for row in rows]
