"""run_chaos in process on the fake `Aws`, up to the point where an experiment process would
start: pre-flight refusals end the run `skipped`, journaled, and start nothing. (The experiment
process itself is tests/e2e/test_chaos_process.py; the whole path, tests/e2e/test_chaos.py.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drctl.aws.cloudwatch import AlarmState
from drctl.aws.fake import FakeAws
from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.extension import GuardRails
from drctl.chaos.runner import ChaosDeps, run_chaos
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError
from drctl.core.run import RunStatus, run_lease_name
from drctl.core.store import load_run
from drctl.report.after_run import PerPlaybook
from drctl.report.metrics import run_metrics
from drctl.report.records import load_records
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.fake_estate import EAST
from tests.unit.helpers import T0
from tests.unit.test_run_ends import FailingStore


def experiment(tmp_path: Path, guard: GuardRails) -> ChaosExperiment:
    marker = tmp_path / "ran"
    action = {"type": "action", "name": "touch", "provider": {
        "type": "process", "path": "sh", "arguments": ["-c", f"touch {marker}"]}}
    return ChaosExperiment(str(tmp_path / "e.json"), {"title": "t", "description": "d",
                                                     "method": [action]}, guard, ())


def chaos(tmp_path: Path, guard: GuardRails, alarm_state: str = "OK"):  # type: ignore[no-untyped-def]
    estate = fake_estate.estate(T0)
    estate.alarms[EAST] = [AlarmState("app-5xx-us-east-1", alarm_state, T0, "")]
    playbook = fake_estate.playbook(tmp_path)
    engine = Engine(MemoryStore(), FakeClock(T0))
    deps = ChaosDeps(FakeAws(estate), playbook, store_url=f"sqlite://{tmp_path / 'unused.db'}")
    return run_chaos(experiment(tmp_path, guard), deps, engine), engine


def test_a_detection_alarm_in_alarm_refuses_the_experiment_before_it_starts(
        tmp_path: Path) -> None:
    result, engine = chaos(tmp_path, GuardRails(target_regions=[EAST]), alarm_state="ALARM")

    assert str(result.outcome.verdict) == "skipped"
    assert "guard_alarms" in result.outcome.reason and "app-5xx-us-east-1" in result.outcome.reason
    run = result.run
    assert run.status is RunStatus.ABORTED and result.outcome.error() is not None
    assert result.outcome.error().exit_code == 4  # type: ignore[union-attr]  # blocked
    assert run.measurement["verdict"] == "skipped"
    assert run.step("preflight").status.value == "failed"
    types = [e.type for e in engine.store.events(run.run_id)]
    assert types[-2:] == ["run_measured", "run_finished"]
    assert not (tmp_path / "ran").exists()  # no experiment process was started


def test_region_chaos_on_the_only_serving_region_is_refused(tmp_path: Path) -> None:
    result, _ = chaos(tmp_path, GuardRails(target_regions=[EAST], scope="region"))

    assert str(result.outcome.verdict) == "skipped"
    assert "us-east-1 is the only region serving api.app.test" in result.outcome.reason
    assert not (tmp_path / "ran").exists()


def test_a_stop_requested_before_the_experiment_starts_aborts_it_with_nothing_run(
        tmp_path: Path) -> None:
    estate = fake_estate.estate(T0 - timedelta(minutes=1))
    engine = Engine(MemoryStore(), FakeClock(T0))
    engine.interrupt.request_stop("SIGTERM")
    deps = ChaosDeps(FakeAws(estate), fake_estate.playbook(tmp_path),
                     store_url=f"sqlite://{tmp_path / 'unused.db'}")

    result = run_chaos(experiment(tmp_path, GuardRails(target_regions=[EAST])), deps, engine)

    assert str(result.outcome.verdict) == "aborted", result.outcome
    assert "nothing ran" in result.outcome.reason
    assert result.run.ended_at is not None and not (tmp_path / "ran").exists()


def test_a_store_write_that_fails_during_the_experiment_still_ends_the_run(
        tmp_path: Path) -> None:
    """The pre-flight passed, but journaling it failed (a throttled DynamoDB store): the run
    ends `failed` with its `run_finished` and lets its lease go -- in a controller that lives
    on, a run left `running` would block every later pre-flight and drill sweep."""
    store = FailingStore("step_succeeded")
    engine = Engine(store, FakeClock(T0))
    deps = ChaosDeps(FakeAws(fake_estate.estate(T0)), fake_estate.playbook(tmp_path),
                     store_url=f"sqlite://{tmp_path / 'unused.db'}")

    with pytest.raises(AwsError, match="throttled"):
        run_chaos(experiment(tmp_path, GuardRails(target_regions=[EAST])), deps, engine)

    [run_id] = store.run_ids("chaos")
    run = load_run(store, run_id)
    assert run.status is RunStatus.FAILED and "throttled" in (run.error or "")
    assert [e.type for e in store.events(run_id)][-1] == "run_finished"
    assert store.lease(run_lease_name(run_id)) is None  # nothing renews it any more
    assert not (tmp_path / "ran").exists()


def test_a_chaos_run_names_its_playbook_for_the_report_metrics_and_the_controllers_summary(
        tmp_path: Path) -> None:
    """A manual chaos run was reported under playbook '-', published with Playbook=-, and a
    scheduled one got no after-run summary: the controller finds it by the run's playbook."""
    estate = fake_estate.estate(T0)
    estate.alarms[EAST] = [AlarmState("app-5xx-us-east-1", "ALARM", T0, "")]
    playbook = fake_estate.playbook(tmp_path)
    store = MemoryStore()
    routed: list[str] = []
    per_playbook = PerPlaybook(store, {playbook.name: lambda e: routed.append(e.run_id)})
    engine = Engine(store, FakeClock(T0), [per_playbook])
    deps = ChaosDeps(FakeAws(estate), playbook, store_url=f"sqlite://{tmp_path / 'unused.db'}")

    result = run_chaos(experiment(tmp_path, GuardRails(target_regions=[EAST])), deps, engine)

    [record] = load_records(store, "chaos")  # from the summary the store wrote at the end
    assert record.playbook == "app"
    assert run_metrics(record)[0].dimensions == (("Playbook", "app"), ("Kind", "chaos"))
    assert routed == [result.run.run_id]
