"""A runbook run ends like every other: a scheduled one (the controller) and one a person runs
both get the summary sent through the runbook's own channels and the CloudWatch metrics
published (Playbook = the playbook it ran with, Kind = runbook), through the same after-run
step -- the in-package fake AWS records what was sent and published."""

from __future__ import annotations

from pathlib import Path

from drctl.app import App, Collaborators
from drctl.aws.fake import FakeAws, FakeEstate
from drctl.controller.build import after_runs
from drctl.controller.execute import RunExecutor
from drctl.controller.playbooks import load_served
from drctl.controller.runners import RunContext, runners
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import ScheduleState
from drctl.core.clock import FakeClock
from drctl.core.run import RunStatus
from drctl.report.after_run import PerPlaybook
from drctl.store.base import list_runs
from tests.unit.helpers import T0
from tests.unit.test_controller_runbook import NIGHTLY, RUNBOOK, playbook_with
from tests.unit.test_controller_scheduler import ME, settle

# The runbook's own channel, in a region that is not the playbook's primary: the summary must
# go there (not to the playbook's channels), and the metrics too (the run names no region).
OWN_CHANNEL = RUNBOOK.replace("notify: []\n", "notify:\n  - sns: {topic: oncall-west}\n"
                                              "notify_region: us-west-2\n")


def fake_app(tmp_path: Path) -> tuple[App, FakeEstate, FakeClock]:
    estate = FakeEstate(topics={"us-west-2": ["oncall-west"],
                                "us-east-1": ["drctl-notifications"]})
    app, clock = App(tmp_path / "state"), FakeClock(T0)
    app.use(Collaborators(aws=FakeAws(estate), clock=clock))
    return app, estate, clock


def test_a_scheduled_runbook_is_summarised_through_its_own_channel_and_published(
        tmp_path: Path) -> None:
    served = load_served([str(playbook_with(tmp_path, NIGHTLY, OWN_CHANNEL))])
    app, estate, clock = fake_app(tmp_path)
    state = ScheduleState(app.store)
    executor = RunExecutor(app.store, clock, state, runners(RunContext.of(app, served.playbooks)),
                           subscribers=[after_runs(app, served)])
    scheduler = Scheduler(served.jobs, state, executor, clock, ME)
    scheduler.run_tick()
    clock.advance(5)
    scheduler.run_tick()
    settle(executor)
    (run,) = list_runs(app.store, "runbook")
    assert run.status is RunStatus.SUCCEEDED, run.error

    (sent,) = estate.published
    arn, subject, text = sent
    assert arn == "arn:aws:sns:us-west-2:123456789012:oncall-west"
    assert subject == f"[drctl] runbook succeeded ({run.run_id})"
    assert "drctl report --kind runbook" in text
    published = {(region, ns, d.name, d.value, d.dimensions) for region, ns, d in estate.metrics}
    assert published == {("us-west-2", "drctl", "Succeeded", 1.0,
                          (("Playbook", "roadtrip"), ("Kind", "runbook")))}


def test_a_runbook_whose_file_is_gone_at_its_end_falls_back_to_the_playbook(
        tmp_path: Path) -> None:
    served = load_served([str(playbook_with(tmp_path, NIGHTLY, OWN_CHANNEL))])
    app, estate, _ = fake_app(tmp_path)
    routed = after_runs(app, served)
    assert isinstance(routed, PerPlaybook)
    engine = app.engine([routed])
    (loaded,) = served.playbooks.values()
    run_id = engine.start("runbook", {"runbook": "nightly-check", "target": "nightly-check",
                                      "runbook_path": str(tmp_path / "gone.md"),
                                      "playbook_path": str(loaded.path), "values": {}})
    engine.emit(run_id, "run_finished", status="failed", error="boom")
    # The playbook's channels (SNS in its primary region; its webhook is not set), and the
    # metrics in the primary region.
    assert [arn for arn, _, _ in estate.published] == \
        ["arn:aws:sns:us-east-1:123456789012:drctl-notifications"]
    assert {(region, d.name, d.value) for region, _, d in estate.metrics} == \
        {("us-east-1", "Succeeded", 0.0)}


def test_a_runbook_run_with_a_region_param_is_published_there(tmp_path: Path) -> None:
    served = load_served([str(playbook_with(tmp_path, NIGHTLY, OWN_CHANNEL))])
    app, estate, _ = fake_app(tmp_path)
    engine = app.engine([after_runs(app, served)])
    (loaded,) = served.playbooks.values()
    run_id = engine.start("runbook", {"runbook": "nightly-check", "target": "nightly-check",
                                      "runbook_path": str(tmp_path / "nightly.md"),
                                      "playbook_path": str(loaded.path),
                                      "values": {"table": "t", "region": "eu-west-1"}})
    engine.emit(run_id, "run_finished", status="succeeded")
    assert {region for region, _, _ in estate.metrics} == {"eu-west-1"}
    (sent,) = estate.published  # the runbook's channel is where it notifies, all the same
    assert sent[0].startswith("arn:aws:sns:us-west-2:")
