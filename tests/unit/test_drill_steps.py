"""A DynamoDB drill's steps and run_drill end to end, in process on the fake `Aws`; its figures
are recomputed from the journal (`step_facts`), not taken from the process's memory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drctl.aws.fake import FakeAws, FakeEstate
from drctl.core.clock import FakeClock, parse_iso
from drctl.core.engine import Engine
from drctl.core.errors import StepFailed
from drctl.core.run import Run, RunStatus
from drctl.core.store import load_run
from drctl.drill.journaled import state_from_journal
from drctl.drill.measure import drill_measurement
from drctl.drill.preflight import preflight
from drctl.drill.runner import DrillInterrupted, run_drill
from drctl.drill.spec import DrillDeps, DrillOptions, select_drills
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.fake_estate import EAST
from tests.unit.helpers import T0


@pytest.fixture
def estate() -> FakeEstate:
    found = FakeEstate()
    fake_estate.pois(found.tables, T0)
    return found


def drill(tmp_path: Path, estate: FakeEstate, kind: str, engine: Engine | None = None,
          **options: object) -> tuple[Run | Exception, Engine]:
    playbook = fake_estate.playbook(tmp_path)
    clock = FakeClock(T0)
    engine = engine or Engine(MemoryStore(), clock)
    deps = DrillDeps(FakeAws(estate), engine.clock, lambda argv, env, timeout: (0, ""))
    [spec] = select_drills(playbook, DrillOptions("dynamodb:app-pois", kind, **options))  # type: ignore[arg-type]
    try:
        return run_drill(spec, preflight(spec, deps), deps, engine), engine
    except (StepFailed, DrillInterrupted) as exc:
        return exc, engine


def recomputed(run: Run, tmp_path: Path, kind: str) -> dict[str, object]:
    [spec] = select_drills(fake_estate.playbook(tmp_path), DrillOptions("dynamodb:app-pois", kind))
    return drill_measurement(spec, state_from_journal(run)).to_dict()


def test_a_pitr_drill_restores_validates_cleans_up_and_measures_from_the_journal(
        tmp_path: Path, estate: FakeEstate) -> None:
    run, engine = drill(tmp_path, estate, "pitr")

    assert isinstance(run, Run) and run.status is RunStatus.SUCCEEDED, run
    assert [s.name for s in run.steps] == ["restore", "wait_available", "validate",
                                           "check_targets", "cleanup"]
    m = run.measurement
    assert parse_iso(m["restore_point"]) == T0 - timedelta(minutes=5)  # what AWS reported
    assert m["rpo_seconds"] == 300.0 and m["rpo_met"] is True
    assert m["validation"]["passed"] is True and m["validation"]["restored_items"] == 2
    assert m["rto_seconds"] == (parse_iso(m["validated_at"])
                                - parse_iso(m["restore_started_at"])).total_seconds()
    assert m["cleanup"]["status"] == "done" and m["targets_met"] is True
    assert [(r["type"], r["region"]) for r in m["restored"]] == [("dynamodb-table", EAST)]
    assert set(estate.tables.tables) == {(EAST, "app-pois")}  # the drill's copy is gone
    # The figures are the journal's: folding its step_facts again gives the same document.
    assert recomputed(run, tmp_path, "pitr") == m
    facts = [e for e in engine.store.events(run.run_id) if e.type == "step_facts"]
    assert {e.step for e in facts} >= {"restore", "validate", "cleanup"}


def test_a_snapshot_too_old_for_the_rpo_fails_the_drill_with_the_journals_figures(
        tmp_path: Path, estate: FakeEstate) -> None:
    failed, engine = drill(tmp_path, estate, "snapshot")

    assert isinstance(failed, StepFailed) and failed.run_id
    assert "restoring from snapshots alone cannot meet this RPO" in str(failed)
    run = load_run(engine.store, failed.run_id)
    assert run.status is RunStatus.FAILED and run.step("check_targets").status.value == "failed"
    m = run.measurement
    assert m["rpo_seconds"] == 7200.0 and m["rpo_met"] is False and m["targets_met"] is False
    assert m["validation"]["passed"] is True and m["cleanup"]["status"] == "done"
    assert recomputed(run, tmp_path, "snapshot") == m


def test_a_failed_validation_is_in_the_figures_although_the_step_journaled_only_an_error(
        tmp_path: Path, estate: FakeEstate) -> None:
    # The restored copy lost an item the source still holds as of the restore point.
    restore = FakeAws(estate).dynamodb_restore(EAST)
    estate.after("dynamodb.restore_to_point_in_time", lambda: estate.tables.tables[
        next(k for k in estate.tables.tables if "drill" in k[1])].versions.pop(0))
    assert restore.region == EAST

    failed, engine = drill(tmp_path, estate, "pitr")

    assert isinstance(failed, StepFailed) and "validation failed" in str(failed)
    run = load_run(engine.store, failed.run_id or "")
    assert run.step("validate").status.value == "failed" and run.step("validate").output == {}
    m = run.measurement
    assert m["validation"]["passed"] is False and m["validation"]["problems"]
    assert m["rto_seconds"] is None  # an unvalidated restore recovered nothing
    assert m["cleanup"]["status"] == "done" and set(estate.tables.tables) == {(EAST, "app-pois")}
    assert recomputed(run, tmp_path, "pitr") == m


def test_a_stop_during_the_wait_cleans_up_and_says_so(tmp_path: Path, estate: FakeEstate) -> None:
    estate.tables.restore_polls = 1000  # the restored table stays CREATING
    engine = Engine(MemoryStore(), FakeClock(T0))
    estate.after("dynamodb.restore_to_point_in_time",
                 lambda: engine.interrupt.request_stop("SIGTERM"))

    stopped, _ = drill(tmp_path, estate, "pitr", engine=engine)

    assert isinstance(stopped, DrillInterrupted) and stopped.exit_code == 3
    run = load_run(engine.store, stopped.run_id or "")
    assert run.status is RunStatus.ABORTED and "cleaned up" in (run.error or "")
    assert run.measurement["cleanup"]["status"] == "done"
    assert set(estate.tables.tables) == {(EAST, "app-pois")}


def test_a_signal_during_the_restore_call_waits_for_its_answer_then_cleans_up(
        tmp_path: Path, estate: FakeEstate) -> None:
    """A restore request cut short after it left may still create the table -- after the
    cleanup looked for it (seen on CI with a slow sandbox: one table left behind). So a signal
    handler delivers nothing inside the call; the stop takes effect as it returns."""
    engine = Engine(MemoryStore(), FakeClock(T0))
    delivered: list[object] = []

    def signal_arrives() -> None:  # what the CLI's handler does on SIGTERM
        engine.interrupt.request_stop("SIGTERM")
        delivered.append(engine.interrupt.deliverable())

    estate.after("dynamodb.restore_to_point_in_time", signal_arrives)

    stopped, _ = drill(tmp_path, estate, "pitr", engine=engine)

    assert delivered == [None]  # not raised into the half-made call
    assert isinstance(stopped, DrillInterrupted) and stopped.exit_code == 3
    run = load_run(engine.store, stopped.run_id or "")
    assert run.step("restore").status.value == "failed"
    assert "interrupted" in (run.step("restore").error or "")
    assert run.measurement["cleanup"]["status"] == "done"
    assert set(estate.tables.tables) == {(EAST, "app-pois")}
