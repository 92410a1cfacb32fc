"""An RDS drill's steps and run_drill, in process on the fake `Aws`: snapshot, point in time and
cross-region; validation against what the snapshot recorded and the playbook's hook; cleanup
whatever happened; figures recomputed from the journal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.aws.fake import FakeEstate
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput, StepFailed
from drctl.core.run import RunStatus
from drctl.drill.preflight import preflight
from drctl.drill.runner import DrillInterrupted
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.drill_run import Hook, deps_for, drill, spec_for
from tests.unit.fake_estate import EAST, WEST
from tests.unit.helpers import T0

DB = "rds:app-db"


@pytest.fixture
def estate() -> FakeEstate:
    found = FakeEstate()
    fake_estate.app_db(found.dbs, T0)
    return found


def left(estate: FakeEstate) -> set[tuple[str, str]]:
    return set(estate.dbs.instances) | set(estate.dbs.snapshots)


BEFORE = {(EAST, "app-db"), (EAST, "rds:app-db-nightly")}


def test_a_pitr_drill_restores_the_latest_restorable_time_validates_and_cleans_up(
        tmp_path: Path, estate: FakeEstate) -> None:
    hook = Hook()
    done = drill(tmp_path, estate, DB, "pitr", hook=hook)

    assert done.error is None and done.run.status is RunStatus.SUCCEEDED
    assert [s.name for s in done.run.steps] == ["restore", "wait_available", "validate",
                                               "check_targets", "cleanup"]
    f = done.figures
    assert f.restore_point == T0 - timedelta(minutes=5)  # the latest restorable, read just before
    assert f.recovery.rpo is not None and f.recovery.rpo.seconds == 300.0
    assert f.recovery.rpo.source == "pitr:RestoreTime" and f.targets_met
    assert f.validation is not None and f.validation["passed"]
    assert f.validation["compared_with"] == "nothing"  # a PITR restore has no snapshot record
    # The hook was pointed at the restored instance, not the source.
    [restored] = f.restored
    assert hook.calls[0]["DRCTL_DRILL_DB_ADDRESS"] == f"{restored['name']}.{EAST}.rds.fake"
    assert f.cleanup is not None and f.cleanup["status"] == "done"
    assert left(estate) == BEFORE
    assert done.recomputed() == f


def test_a_snapshot_drill_is_judged_against_what_the_snapshot_recorded(
        tmp_path: Path, estate: FakeEstate) -> None:
    done = drill(tmp_path, estate, DB, "snapshot")

    # Two hours old against a 15 minute RPO: restored and validated, but the target is missed.
    assert isinstance(done.error, StepFailed)
    assert "restoring from snapshots alone cannot meet this RPO" in str(done.error)
    f = done.figures
    assert f.restore_point == T0 - timedelta(hours=2) and not f.targets_met
    assert f.validation is not None and f.validation["passed"]
    assert f.validation["compared_with"] == "snapshot"
    # The source grew since the snapshot: information, not a failure of the restore.
    assert f.validation["source_differences"]["allocated_storage"] == {
        "source": 200, "restored": 100}
    assert f.cleanup is not None and f.cleanup["status"] == "done" and left(estate) == BEFORE
    assert done.recomputed() == f


def test_a_restore_that_differs_from_the_snapshot_fails_validation_and_is_cleaned_up(
        tmp_path: Path, estate: FakeEstate) -> None:
    def upgraded() -> None:  # AWS restored another engine version than the snapshot's
        key = next(k for k in estate.dbs.instances if "drill" in k[1])
        estate.dbs.instances[key] = replace(estate.dbs.instances[key], engine_version="16.1")

    estate.after("rds.restore_from_snapshot", upgraded)
    done = drill(tmp_path, estate, DB, "snapshot")

    assert isinstance(done.error, StepFailed) and "validation failed" in str(done.error)
    assert "engine_version: the snapshot recorded '15.4', restored '16.1'" in str(done.error)
    f = done.figures
    assert f.recovery.rto_seconds is None and f.validated_at is None  # nothing recovered
    assert f.cleanup is not None and f.cleanup["status"] == "done" and left(estate) == BEFORE
    assert done.recomputed() == f


def test_a_failing_hook_fails_the_drill_with_its_output(tmp_path: Path,
                                                       estate: FakeEstate) -> None:
    done = drill(tmp_path, estate, DB, "pitr", hook=Hook((3, "no rows newer than 1h")))

    assert isinstance(done.error, StepFailed)
    assert "validation hook failed: exit 3: no rows newer than 1h" in str(done.error)
    assert done.run.step("validate").status.value == "failed"
    assert done.figures.validation is not None and not done.figures.validation["passed"]
    assert left(estate) == BEFORE


def test_a_cross_region_drill_copies_the_snapshot_restores_the_copy_and_deletes_both(
        tmp_path: Path, estate: FakeEstate) -> None:
    done = drill(tmp_path, estate, DB, "cross-region")

    assert [s.name for s in done.run.steps][:2] == ["copy_snapshot", "restore"]
    f = done.figures
    assert {(r["type"], r["region"]) for r in f.restored} == {
        ("rds-snapshot", WEST), ("rds-instance", WEST)}
    # The copy keeps the time its data was captured: the RPO is the original snapshot's age.
    assert f.restore_point == T0 - timedelta(hours=2) and f.copy_seconds is not None
    assert f.validation is not None and f.validation["passed"]
    assert f.cleanup is not None and f.cleanup["status"] == "done" and left(estate) == BEFORE


def test_a_stop_while_waiting_for_the_instance_cleans_up_and_says_so(
        tmp_path: Path, estate: FakeEstate) -> None:
    estate.dbs.restore_polls = 1000  # the restored instance stays `creating`
    engine = Engine(MemoryStore(), FakeClock(T0))
    estate.after("rds.restore_to_point_in_time",
                 lambda: engine.interrupt.request_stop("SIGTERM"))

    done = drill(tmp_path, estate, DB, "pitr", engine=engine)

    assert isinstance(done.error, DrillInterrupted) and done.error.exit_code == 3
    assert done.run.status is RunStatus.ABORTED and "cleaned up" in (done.run.error or "")
    assert done.figures.cleanup is not None and done.figures.cleanup["status"] == "done"
    assert left(estate) == BEFORE


@pytest.mark.parametrize(("kind", "setup", "match"), [
    ("pitr", lambda e: e.dbs.instances.update({(EAST, "app-db"): replace(
        e.dbs.instances[(EAST, "app-db")], backup_retention=0)}), "automated backups off"),
    ("snapshot", lambda e: e.dbs.snapshots.clear(), "no snapshot of DB instance app-db"),
    ("pitr", lambda e: e.dbs.instances.clear(), "drill target rds:app-db not found"),
])
def test_a_drill_with_nothing_to_restore_is_refused_before_anything_is_made(
        tmp_path: Path, estate: FakeEstate, kind: str, setup, match: str) -> None:
    setup(estate)
    with pytest.raises(InvalidInput, match=match):
        preflight(spec_for(tmp_path, DB, kind), deps_for(estate, FakeClock(T0)))
    assert estate.calls == []


def test_an_at_outside_the_restore_window_is_refused(tmp_path: Path,
                                                     estate: FakeEstate) -> None:
    spec = spec_for(tmp_path, DB, "pitr", at=T0 - timedelta(days=8))
    with pytest.raises(InvalidInput, match="outside the restorable window"):
        preflight(spec, deps_for(estate, FakeClock(T0)))
