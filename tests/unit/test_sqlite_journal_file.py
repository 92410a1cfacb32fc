"""The SQLite journal file: migration to summaries, versions, and damaged files refused."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from drctl.core.errors import InvalidInput
from drctl.core.events import Event
from drctl.store.errors import CorruptJournal, NewerJournal
from drctl.store.sqlite import SqliteStore
from drctl.store.sqlite_file import SCHEMA_VERSION
from tests.unit.helpers import T0

OLD_SCHEMA = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, started_at TEXT NOT NULL);
CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL,
    type TEXT NOT NULL, step TEXT, data TEXT NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE locks (name TEXT PRIMARY KEY, run_id TEXT NOT NULL, holder TEXT NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def old_journal(path: Path, runs: int, padding: str = "") -> None:
    """A journal as drctl wrote it before summaries: no summaries table, user_version 0."""
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    for i in range(runs):
        run_id, at = f"fo-{i}", f"2026-01-01T{12 + i // 60:02d}:{i % 60:02d}:00.000Z"
        db.execute("INSERT INTO runs VALUES (?, 'failover', ?)", (run_id, at))
        started = {"kind": "failover", "params": {"target_region": "us-west-2", "padding": padding},
                   "pid": 1}
        rows = [(1, "run_started", started), (2, "run_finished", {"status": "succeeded"})]
        for seq, type_, data in rows:
            db.execute("INSERT INTO events VALUES (?, ?, ?, ?, NULL, ?)",
                       (run_id, seq, at, type_, json.dumps(data)))
    db.commit()
    db.close()


def test_a_journal_from_before_summaries_is_summarised_once_on_open(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    old_journal(path, runs=3)

    store = SqliteStore(path)

    assert [(s.run_id, s.status, s.target) for s in store.summaries()] == [
        ("fo-2", "succeeded", "us-west-2"), ("fo-1", "succeeded", "us-west-2"),
        ("fo-0", "succeeded", "us-west-2")]
    version = store._db.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    store.close()


def test_a_journal_from_a_newer_drctl_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()

    with pytest.raises(NewerJournal, match="newer drctl") as caught:
        SqliteStore(path)

    assert caught.value.exit_code == 2


def test_an_event_that_does_not_fold_is_refused_and_not_journaled(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "journal.db")
    store.append(Event("fo-1", "run_started", T0, data={"kind": "failover", "params": {}}))

    with pytest.raises(InvalidInput, match="does not fold"):
        store.append(Event("fo-1", "run_finished", T0, data={"status": "ok"}))

    assert [e.type for e in store.events("fo-1")] == ["run_started"]
    store.close()


def journal_with_history(path: Path) -> None:
    """A current journal of many pages (written in one transaction: fsyncs are slow)."""
    old_journal(path, runs=300, padding="x" * 400)
    SqliteStore(path).close()


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage page":
        page = 4096
        path.write_bytes(data[: page * 5] + os.urandom(page) + data[page * 6:])
    elif how == "zero-length":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["garbage", "truncated", "garbage page", "zero-length"])
def test_a_damaged_journal_is_refused_before_anything_is_written(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "journal.db"
    journal_with_history(path)
    damage(path, how)
    before = path.read_bytes()

    with pytest.raises(CorruptJournal) as caught:
        store = SqliteStore(path)
        store.append(Event("fo-new", "run_started", T0, data={"kind": "failover",
                                                               "params": {}}))

    assert caught.value.exit_code == 2
    assert "corrupt" in str(caught.value) and "nothing was changed" in str(caught.value)
    assert f"mv {path}* " in (caught.value.hint or "")
    assert path.read_bytes() == before


def test_the_hint_moves_the_journal_aside_and_a_new_one_starts(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal_with_history(path)
    damage(path, "garbage")
    with pytest.raises(CorruptJournal) as caught:
        SqliteStore(path)

    assert os.system(caught.value.hint.split(": ", 1)[1]) == 0  # type: ignore[union-attr]

    store = SqliteStore(path)
    assert store.summaries() == []
    store.close()


def test_a_write_ahead_log_without_its_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    Path(f"{path}-wal").write_bytes(b"stale")

    with pytest.raises(CorruptJournal, match="write-ahead log"):
        SqliteStore(path)


def test_two_stores_creating_one_journal_at_once_share_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    first, second = SqliteStore(path), SqliteStore(path)
    first.append(Event("fo-1", "run_started", T0, data={"kind": "failover", "params": {}}))

    assert second.run_ids() == ["fo-1"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")] == []
    first.close()
    second.close()


def test_a_ctrl_c_that_lands_after_the_commit_stays_a_ctrl_c(tmp_path: Path) -> None:
    """The interrupt is raised into the writing thread wherever it lands, also just after
    COMMIT returned (found by Ctrl-C during a failover's scale_secondary: the run ended
    'failed' with 'cannot rollback - no transaction is active' instead of interrupted).
    The body commits, then is interrupted, as the signal handler would do it."""
    store = SqliteStore(tmp_path / "journal.db")
    with pytest.raises(KeyboardInterrupt), store._writing() as db:
        db.execute("INSERT INTO settings VALUES ('k', 'v')")
        db.execute("COMMIT")
        raise KeyboardInterrupt

    with store._writing() as db:  # the connection is usable and the committed write kept
        assert db.execute("SELECT value FROM settings WHERE key = 'k'").fetchone() == ("v",)
