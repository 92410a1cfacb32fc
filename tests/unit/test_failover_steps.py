"""The six failover steps, and run_failover end to end, in process on the fake `Aws`.

The sandbox e2e tests (tests/e2e/test_failover*.py) keep the end-to-end truths (real HTTP to
moto, RTO/RPO against the sandbox's ground truth); these pin what each step decides.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drctl.aws.cloudwatch import AlarmState
from drctl.aws.fake import FakeAws, FakeEstate
from drctl.core.clock import FakeClock, iso, parse_iso
from drctl.core.engine import Engine
from drctl.core.errors import Blocked, InvalidInput, NotConfirmed, StepFailed
from drctl.core.run import RunStatus
from drctl.core.step import StepContext
from drctl.core.store import load_run
from drctl.failover.confirm import Confirm
from drctl.failover.detect import Detect
from drctl.failover.lock import lock_name
from drctl.failover.runner import STEP_NAMES, run_failover
from drctl.failover.scale_secondary import ScaleSecondary
from drctl.failover.smoke_test import SmokeTest
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.failover.switch_dns import SwitchDns
from drctl.playbook.schema import Playbook
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.fake_estate import EAST, HEARTBEATS, WEST, Web, heartbeat
from tests.unit.helpers import T0


@pytest.fixture
def playbook(tmp_path: Path) -> Playbook:
    return fake_estate.playbook(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def estate() -> FakeEstate:
    return fake_estate.estate(T0, lag=4.0)


@pytest.fixture
def web() -> Web:
    return Web()


def setup(playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web,
          options: FailoverOptions | None = None) -> tuple[FailoverSpec, FailoverDeps]:
    spec = FailoverSpec(playbook, "app.yaml", WEST, EAST, options or FailoverOptions(yes=True))
    return spec, fake_estate.deps(FakeAws(estate), clock, web, playbook)


def context(clock: FakeClock, **facts: object) -> StepContext:
    return StepContext("fo-test", clock, dict(facts))


# --- detect -----------------------------------------------------------------------------------

def test_detect_takes_the_earliest_firing_alarm_as_the_incident_start(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    began = T0 - timedelta(minutes=7)
    estate.alarms[EAST] = [AlarmState("app-5xx-us-east-1", "ALARM", began, "5xx")]
    spec, deps = setup(playbook, estate, clock, web)

    out = Detect(spec, deps).apply(context(clock))

    assert out["incident_start"] == iso(began)
    assert out["incident_start_source"] == "alarm:app-5xx-us-east-1"
    assert out["alarms"] == [{"name": "app-5xx-us-east-1", "state": "ALARM", "since": iso(began)}]


def test_detect_without_an_alarm_and_without_a_person_stops_before_anything_changes(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    spec, deps = setup(playbook, estate, clock, web, FailoverOptions())
    with pytest.raises(NotConfirmed, match="no TTY"):
        Detect(spec, deps).apply(context(clock))
    assert estate.calls == []


# --- confirm ----------------------------------------------------------------------------------

def test_confirm_runs_the_preflight_and_records_who_confirmed(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    spec, deps = setup(playbook, estate, clock, web)

    out = Confirm(spec, deps).apply(context(clock))

    checks = {c["name"]: c for c in out["preflight"]}
    assert all(c["ok"] for c in checks.values()), checks
    assert {"target_app_healthy", "database_replicating", "replication_lag", "database_lag",
            "capacity", "target_alarms_ok"} <= set(checks)
    assert "heartbeat:app-heartbeats" in checks["replication_lag"]["detail"]
    assert out["confirmed_by"] == "--yes" and out["forced"] is False
    assert web.requests == ["http://west.app.test/health"]  # through the injected client


def test_confirm_is_blocked_when_the_target_app_is_down_and_force_overrides_it(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    web.status["west.app.test"] = [503]
    spec, deps = setup(playbook, estate, clock, web)
    with pytest.raises(Blocked, match="target_app_healthy: health: HTTP 503") as caught:
        Confirm(spec, deps).apply(context(clock))
    assert "--force" in (caught.value.hint or "")

    spec, deps = setup(playbook, estate, clock, web, FailoverOptions(yes=True, force=True))
    assert Confirm(spec, deps).apply(context(clock))["forced"] is True


def test_confirm_never_lets_force_promote_a_database_that_is_not_replicating(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    FakeAws(estate).rds(WEST).promote("app-db-replica")  # a standalone: stale since then
    spec, deps = setup(playbook, estate, clock, web, FailoverOptions(yes=True, force=True))
    with pytest.raises(Blocked, match="database_replicating") as caught:
        Confirm(spec, deps).apply(context(clock))
    assert "drctl reprotect --region us-west-2" in (caught.value.hint or "")


# --- switch_dns: the cut, and the RPO read at it ----------------------------------------------

def test_switch_dns_plans_then_moves_every_weight_to_the_target(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    spec, deps = setup(playbook, estate, clock, web)
    step = SwitchDns(spec, deps)

    planned = {(c.target, c.before, c.after) for c in step.plan(context(clock))}
    assert planned == {("api.app.test [us-east-1]", 100, 0), ("api.app.test [us-west-2]", 0, 100)}
    assert estate.calls == []  # planning changed nothing

    estate.dns_polls_until_insync = 2
    out = step.apply(context(clock, incident_start=iso(T0)))
    weights = {rr["SetIdentifier"]: rr["Weight"] for rr in estate.records["Z1"]}
    assert weights == {EAST: 0, WEST: 100}
    assert estate.calls == ["route53.upsert"]
    assert parse_iso(out["dns_switched_at"]) == T0 + timedelta(seconds=4)  # two 2s polls


def test_the_rpo_is_read_at_the_cut_not_when_the_smoke_tests_pass_later(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    """A switchover: the old region is up and its writer goes on writing after the DNS switch
    (nothing of it reaches the new region any more). What was lost is what had not arrived by
    the cut: 4 s here. Read at the first smoke pass, a minute later, it would be ~64 s."""
    spec, deps = setup(playbook, estate, clock, web)
    ddb_east = FakeAws(estate).dynamodb(EAST)
    estate.after("ecs.scale_service", lambda: ddb_east.put_item(
        HEARTBEATS, heartbeat(EAST, clock.now() + timedelta(seconds=60))))
    facts: dict[str, object] = {"incident_start": iso(T0)}

    for step in (SwitchDns(spec, deps), ScaleSecondary(spec, deps)):
        facts.update(step.apply(context(clock, **facts)))
    clock.advance(60)
    facts.update(SmokeTest(spec, deps).apply(context(clock, **facts)))

    assert facts["rpo"]["seconds"] == 4.0  # type: ignore[index]
    assert facts["rpo_read_at"] == facts["dns_switched_at"]
    assert [s["store"] for s in facts["rpo_stores"]] == ["database"]  # type: ignore[attr-defined]
    assert "rpo" not in SmokeTest(spec, deps).apply(context(clock))


# --- scale_secondary --------------------------------------------------------------------------

def test_scale_secondary_scales_every_service_and_group_and_promotes_the_replica(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    spec, deps = setup(playbook, estate, clock, web)
    step = ScaleSecondary(spec, deps)
    assert step.verify(context(clock)) is False
    planned = {(c.action, c.target, c.before, c.after) for c in step.plan(context(clock))}
    assert planned == {
        ("scale ECS service", "app/api", 1, 4), ("scale ECS service", "app/worker", 1, 2),
        ("set desired capacity", "app-workers", 1, 3),
        ("promote read replica", "app-db-replica", "replica", "standalone")}

    out = step.apply(context(clock))

    assert len(out["scaled"]) == 4
    assert {s.desired for s in estate.services[(WEST, "app")].values()} == {4, 2}
    assert estate.groups[WEST]["app-workers"].desired == 3
    assert not estate.databases[WEST]["app-db-replica"].is_replica
    assert step.verify(context(clock)) is True  # a resumed run does not do it again
    assert step.plan(context(clock)) == []


def test_scale_secondary_keeps_a_service_already_above_its_production_size(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    api = estate.services[(WEST, "app")]["api"]
    estate.services[(WEST, "app")]["api"] = type(api)("api", 9, 9, 0, 1)
    spec, deps = setup(playbook, estate, clock, web)
    planned = {c.target: c.after for c in ScaleSecondary(spec, deps).plan(context(clock))}
    assert "app/api" not in planned and planned["app/worker"] == 2


# --- smoke_test -------------------------------------------------------------------------------

def test_smoke_test_polls_until_every_check_passes_and_records_when(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    web.status["west.app.test"] = [503, 503, 200]
    spec, deps = setup(playbook, estate, clock, web)

    out = SmokeTest(spec, deps).apply(context(clock))

    assert out["smoke_attempts"] == 3
    assert parse_iso(out["smoke_passed_at"]) == T0 + timedelta(seconds=4)  # 2 polls of 2 s
    assert web.requests == ["http://west.app.test/health"] * 3


def test_smoke_test_that_never_passes_fails_the_step_saying_why(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    web.status["west.app.test"] = [502]
    spec, deps = setup(playbook, estate, clock, web)
    with pytest.raises(StepFailed, match="timed out after 60s waiting for smoke tests"):
        SmokeTest(spec, deps).apply(context(clock))


# --- run_failover, end to end in process ------------------------------------------------------

def engine_for(clock: FakeClock) -> Engine:
    return Engine(MemoryStore(), clock)


def test_run_failover_runs_the_six_steps_and_journals_true_figures(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    began = T0 - timedelta(minutes=5)
    estate.alarms[EAST] = [AlarmState("app-5xx-us-east-1", "ALARM", began, "5xx")]
    web.status["west.app.test"] = [200, 503, 200]  # pre-flight; then one more smoke poll
    _, deps = setup(playbook, estate, clock, web)
    engine = engine_for(clock)

    run = run_failover(playbook, "app.yaml", WEST, deps, engine, FailoverOptions(yes=True))

    assert run.status is RunStatus.SUCCEEDED
    assert [(s.name, str(s.status)) for s in run.steps] == [
        (name, "succeeded") for name in STEP_NAMES]
    smoke_passed = parse_iso(run.step("smoke_test").output["smoke_passed_at"])
    m = run.measurement
    assert m["rto_seconds"] == (smoke_passed - began).total_seconds()
    assert m["incident_start_source"] == "alarm:app-5xx-us-east-1" and m["rto_met"] is True
    assert (m["rpo_seconds"], m["rpo_source"], m["rpo_met"]) == (
        4.0, "heartbeat:app-heartbeats", True)
    assert [s["store"] for s in m["rpo_stores"]] == ["database"]
    assert {rr["SetIdentifier"]: rr["Weight"] for rr in estate.records["Z1"]} == {
        EAST: 0, WEST: 100}
    [(topic, subject, text)] = estate.published
    assert topic.startswith("arn:aws:sns:us-west-2:") and run.run_id in subject
    assert "RTO 5m04s (target 1h00m00s, met); RPO 4.0s (target 15m00s, met)" in text
    assert engine.store.lock(lock_name("app")) is None  # the lock is freed
    [summary] = engine.store.summaries("failover")
    assert (summary.run_id, summary.status) == (run.run_id, "succeeded")


def test_run_failover_that_fails_after_the_switch_says_what_changed_and_keeps_the_lock(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    web.status["west.app.test"] = [200, 503]  # healthy at pre-flight, then not
    _, deps = setup(playbook, estate, clock, web)
    engine = engine_for(clock)

    with pytest.raises(StepFailed, match="waiting for smoke tests") as caught:
        run_failover(playbook, "app.yaml", WEST, deps, engine, FailoverOptions(yes=True))

    run_id = caught.value.run_id
    assert run_id is not None
    run = load_run(engine.store, run_id)
    assert run.status is RunStatus.FAILED and run.step("smoke_test").status.value == "failed"
    assert run.recovery["changed"] == "already changed: switch_dns done, scale_secondary done"
    assert f"drctl failover --resume {run_id}" in (caught.value.hint or "")
    # RTO unmeasured (no smoke pass), RPO still measured at the cut: never a guess either way.
    assert run.measurement["rto_seconds"] is None and run.measurement["rpo_seconds"] == 4.0
    held = engine.store.lock(lock_name("app"))
    assert held is not None and held.run_id == run_id  # the estate is half moved: held


def test_run_failover_refuses_a_target_that_already_takes_the_traffic(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    _, deps = setup(playbook, estate, clock, web)
    engine = engine_for(clock)
    with pytest.raises(InvalidInput, match="us-east-1 is already the active region"):
        run_failover(playbook, "app.yaml", EAST, deps, engine, FailoverOptions(yes=True))
    assert estate.calls == [] and engine.store.lock(lock_name("app")) is None
    assert engine.store.run_ids() == []  # refused before any run was started


def test_run_failover_opens_its_run_before_reading_what_it_will_touch(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web) -> None:
    """The run (and so an incident's record, and the controller's detection latency) opens
    as soon as the target is resolved; a resource the steps need that is missing then ends it
    aborted with nothing changed, and the refusal (exit 2) goes on."""
    del estate.services[(WEST, "app")]["worker"]
    _, deps = setup(playbook, estate, clock, web)
    engine = engine_for(clock)

    with pytest.raises(InvalidInput, match="worker") as caught:
        run_failover(playbook, "app.yaml", WEST, deps, engine, FailoverOptions(yes=True))

    assert caught.value.exit_code == 2 and caught.value.run_id is not None
    run = load_run(engine.store, caught.value.run_id)
    assert run.status is RunStatus.ABORTED and run.steps == []
    assert "refused before anything changed" in (run.error or "") and "worker" in run.error
    assert estate.calls == [] and engine.store.lock(lock_name("app")) is None


class CountingAws(FakeAws):
    """The fake estate, counting the reads a failover makes of its services and records."""

    def __init__(self, estate: FakeEstate) -> None:
        super().__init__(estate)
        self.reads: dict[str, int] = {"services": 0, "records": 0}

    def ecs(self, region: str):  # type: ignore[no-untyped-def]
        adapter, reads = super().ecs(region), self.reads
        real = adapter.services

        def services(cluster: str, names: list[str]):  # type: ignore[no-untyped-def]
            reads["services"] += 1
            return real(cluster, names)

        adapter.services = services  # type: ignore[method-assign]
        return adapter

    def route53(self):  # type: ignore[no-untyped-def]
        adapter, reads = super().route53(), self.reads
        real = adapter.record_sets_of

        def record_sets_of(zone_id, wanted):  # type: ignore[no-untyped-def]
            reads["records"] += 1
            return real(zone_id, wanted)

        adapter.record_sets_of = record_sets_of  # type: ignore[method-assign]
        return adapter


@pytest.mark.parametrize(("waited", "reads"), [
    (0, {"services": 2, "records": 2}),      # resolve + plan; verify and apply take the plan's
    (31, {"services": 4, "records": 3}),     # older than REUSE_READS_FOR: read again
])
def test_a_step_applies_what_its_plan_read_while_that_is_recent(
        playbook: Playbook, estate: FakeEstate, clock: FakeClock, web: Web,
        waited: float, reads: dict[str, int]) -> None:
    """Services: the plan's read and one poll that finds them stable -- and, only when the
    plan's read is too old, scale_secondary's verify (not at capacity) and the apply's read."""
    aws = CountingAws(estate)
    deps = fake_estate.deps(aws, clock, web, playbook)
    engine = engine_for(clock)
    engine.subscribers.append(
        lambda event: clock.advance(waited) if event.type == "step_started"
        and event.step == "confirm" else None)

    run = run_failover(playbook, "app.yaml", WEST, deps, engine, FailoverOptions(yes=True))

    assert run.status is RunStatus.SUCCEEDED
    assert aws.reads == reads
    assert {rr["SetIdentifier"]: rr["Weight"] for rr in estate.records["Z1"]} == {
        EAST: 0, WEST: 100}
    assert {name: s.desired for name, s in estate.services[(WEST, "app")].items()} == {
        "api": 4, "worker": 2}
