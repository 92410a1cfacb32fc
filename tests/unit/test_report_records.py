"""`drctl report` reads run summaries, not journals: a finished run's record comes from the
summary the store wrote when it ended (steps, drill kind and target, region, figures); only a
run without a complete summary -- still going, crashed, or from before summaries had steps --
is folded from its journal. Both ways give the same record."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.events import Event
from drctl.core.summary import RunSummary
from drctl.report.records import load_records, record_from_run
from drctl.store.base import load_run
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder


class CountingStore(SqliteStore):
    """The SQLite store, counting the journals it is asked to read."""

    folded: list[str]

    def events(self, run_id: str) -> list[Event]:
        self.folded.append(run_id)
        return super().events(run_id)


def journal(path: Path) -> tuple[CountingStore, list[str]]:
    store = CountingStore(path)
    store.folded = []
    clock = FakeClock(T0)
    build = JournalBuilder(Engine(store, clock), clock)
    ids = [build.failover(3, rpo=10), build.failover(4, rpo=12, smoke_fails=True),
           build.drill("rds:roadtrip-db", "snapshot", restore=300),
           build.drill("dynamodb:roadtrip-pois", "pitr", restore=50, validates=False),
           build.chaos(passes=False)]
    store.folded.clear()
    return store, ids


def folded_records(store: CountingStore, ids: list[str]) -> list[object]:
    return [record_from_run(load_run(store, run_id)) for run_id in ids]


def test_finished_runs_are_read_from_their_summaries_and_match_their_journals(
        tmp_path: Path) -> None:
    store, ids = journal(tmp_path / "journal.db")

    records = load_records(store)

    assert store.folded == []  # not one journal replayed
    assert records == folded_records(store, ids)
    drill = records[2]
    assert (drill.subject, drill.drill_kind, drill.region) == \
        ("rds:roadtrip-db", "snapshot", "us-east-1")
    assert [(s.name, s.seconds) for s in drill.steps] == [("restore", 300.0),
                                                          ("validate", 2.0)]
    assert records[0].incident_start is not None and records[0].recovered_at is not None


def test_a_run_without_a_complete_summary_is_folded_from_its_journal(tmp_path: Path) -> None:
    """A summary from before step times (version 1, as an older drctl wrote it) and a run with
    no summary at all: both are folded; the other runs still come from their summaries."""
    store, ids = journal(tmp_path / "journal.db")
    old = store.summaries(limit=10)[-1].to_dict()  # the fields version 1 had
    assert old["run_id"] == ids[0]
    db = sqlite3.connect(tmp_path / "journal.db")
    with db:
        db.execute("UPDATE summaries SET data = ? WHERE run_id = ?",
                   (json.dumps({**old, "version": 1}), ids[0]))
        db.execute("DELETE FROM summaries WHERE run_id = ?", (ids[2],))
    db.close()

    records = load_records(store)

    assert sorted(store.folded) == sorted([ids[0], ids[2]])
    assert records == folded_records(store, ids)


def test_a_version_1_summary_still_reads() -> None:
    summary = RunSummary.from_dict({"run_id": "fo-1", "kind": "failover",
                                    "status": "succeeded", "started_at": "2026-01-01T12:00:00Z",
                                    "rto_seconds": 42.0, "rto_target_seconds": 3600.0})
    assert (summary.version, summary.steps, summary.region) == (1, (), None)
    assert summary.stored()["version"] == 1  # it does not claim fields it lacks
    assert RunSummary.from_dict(replace(summary, version=2).stored()).version == 2


def test_a_crashed_run_is_folded_and_shown_interrupted(tmp_path: Path) -> None:
    store, _ = journal(tmp_path / "journal.db")
    run_id = Engine(store, FakeClock(T0)).start("failover", {"playbook": "roadtrip",
                                                             "target_region": "us-west-2"})
    store.folded.clear()

    records = load_records(store, "failover")

    assert store.folded == [run_id]  # its summary says only that it started
    (crashed,) = [r for r in records if r.run_id == run_id]
    assert len(records) == 3 and not crashed.finished
