"""The outage signal when the primary's alarms cannot be read (issue 11): its Route53 health
checks all failing, held for the criteria's `for`, open the failover as alarms would; a health
check still passing, or none to ask, is no signal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from drctl.aws.route53 import RecordSet
from drctl.controller.detect import BLIND, evaluate_blind
from drctl.controller.execute import EngineOptions
from drctl.controller.runners import LoadedPlaybook
from drctl.controller.state import ScheduleState
from drctl.controller.watch import AlarmWatch, WatchContext
from drctl.core.clock import FakeClock
from drctl.core.errors import AwsError
from drctl.playbook.loader import load_playbook
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.test_controller_scheduler import ME
from tests.unit.test_playbook_loader import ROADTRIP

PLAYBOOK = load_playbook(ROADTRIP)   # `for: 30s` by default
CHECKS = {"us-east-1": "hc-east", "us-west-2": "hc-west"}


def test_all_health_checks_failing_for_the_criteria_time_is_the_signal() -> None:
    failing = {"hc-east": False}
    detection, due = evaluate_blind(PLAYBOOK, "us-east-1", T0, failing, T0 + timedelta(seconds=5))
    assert detection is None and due == T0 + timedelta(seconds=30)
    detection, due = evaluate_blind(PLAYBOOK, "us-east-1", T0, failing,
                                    T0 + timedelta(seconds=30))
    assert detection is not None and due is None
    assert (detection.signal, detection.failing_checks, detection.holds_since) == (
        BLIND, ("hc-east",), T0)
    assert detection.to_dict(T0 + timedelta(seconds=31))["signal"] == BLIND


def test_a_passing_health_check_or_none_at_all_is_no_signal() -> None:
    later = T0 + timedelta(minutes=5)
    assert evaluate_blind(PLAYBOOK, "us-east-1", T0, {"a": False, "b": True}, later) == (
        None, None)
    assert evaluate_blind(PLAYBOOK, "us-east-1", T0, {}, later) == (None, None)
    assert evaluate_blind(PLAYBOOK, "us-east-1", None, {"a": False}, later) == (None, None)


class Route53:
    """The playbook's weighted record (us-east-1 serving) with a health check per region."""

    def __init__(self, healthy: dict[str, bool]) -> None:
        self.healthy = healthy

    def zone_id(self, zone: str) -> str:
        return "Z1"

    def record_sets_of(self, zone_id: str, wanted: list[tuple[str, str]]
                       ) -> dict[tuple[str, str], list[RecordSet]]:
        return {key: [RecordSet(key[0], key[1], region, 100 if region == "us-east-1" else 0,
                                None, {"HealthCheckId": check})
                      for region, check in CHECKS.items()] for key in wanted}

    def health_check_healthy(self, check_id: str) -> bool:
        if check_id not in self.healthy:
            raise AwsError(f"no health check {check_id}")
        return self.healthy[check_id]


class CloudWatchDown:
    def alarms(self, names: list[str]) -> list[Any]:
        raise AwsError("DescribeAlarms: could not connect to the endpoint", code="Unavailable")


class Aws:
    def __init__(self, healthy: dict[str, bool]) -> None:
        self._route53 = Route53(healthy)

    def route53(self) -> Route53:
        return self._route53

    def cloudwatch(self, region: str) -> CloudWatchDown:
        return CloudWatchDown()


def watch(healthy: dict[str, bool]) -> tuple[AlarmWatch, MemoryStore, FakeClock,
                                             list[Callable[[], None]]]:
    store, clock, opened = MemoryStore(), FakeClock(T0), []
    ctx = WatchContext(Aws(healthy), store, clock, ScheduleState(store), ME,  # type: ignore[arg-type]
                       EngineOptions(), opened.append, lambda name: [])
    return AlarmWatch(LoadedPlaybook(Path(ROADTRIP), PLAYBOOK), ctx), store, clock, opened


def test_the_watch_opens_one_failover_when_the_alarms_are_unreadable_and_checks_fail() -> None:
    alarm_watch, store, clock, opened = watch({"hc-east": False, "hc-west": True})
    assert alarm_watch.poll(clock.now()) == T0 + timedelta(seconds=5)  # the next poll
    clock.advance(29)
    alarm_watch.poll(clock.now())
    assert opened == []
    clock.advance(1)
    alarm_watch.poll(clock.now())
    clock.advance(5)
    alarm_watch.poll(clock.now())              # the same incident: not opened twice
    assert len(opened) == 1
    assert store.lock("schedule-fire:roadtrip/failover@2026-01-01T12:00:00.000Z") is not None


def test_a_health_check_that_recovers_restarts_the_count() -> None:
    healthy = {"hc-east": False}
    alarm_watch, _, clock, opened = watch(healthy)
    alarm_watch.poll(clock.now())
    clock.advance(20)
    healthy["hc-east"] = True
    alarm_watch.poll(clock.now())
    healthy["hc-east"] = False
    clock.advance(20)
    alarm_watch.poll(clock.now())              # failing again since 20 s ago: not yet 30
    assert opened == []


def test_unreadable_health_checks_are_no_signal() -> None:
    alarm_watch, _, clock, opened = watch({})
    for _ in range(10):
        alarm_watch.poll(clock.now())
        clock.advance(10)
    assert opened == []


class Readable:
    def alarms(self, names: list[str]) -> list[Any]:
        return []


def test_healthz_lists_a_watch_that_cannot_read_the_alarms_until_it_can() -> None:
    """A controller without credentials (or facing a dark region) ticked, answered 200 and
    listed no problem while its alarm watch could read nothing."""
    from drctl.controller.build import healthz
    from drctl.controller.daemon import Daemon, Parts, Status

    alarm_watch, _, clock, _ = watch({"hc-east": True})
    daemon = Daemon(Parts(None, None, clock, Status(clock.now(), last_tick_at=clock.now(),  # type: ignore[arg-type]
                                                    problems=["x.yaml: not served"]),
                          watches=[alarm_watch]))
    alarm_watch.poll(clock.now())
    healthy, document = healthz(daemon, [], ScheduleState(MemoryStore()))
    assert healthy        # still 200: a dark primary is when the controller is needed most
    assert document["problems"][0] == "x.yaml: not served"
    assert document["problems"][1].startswith(
        "roadtrip: alarm watch: cannot read the alarms in us-east-1: DescribeAlarms")
    alarm_watch.ctx.aws.cloudwatch = lambda region: Readable()  # type: ignore[method-assign]
    clock.advance(5)
    alarm_watch.poll(clock.now())
    assert healthz(daemon, [], ScheduleState(MemoryStore()))[1]["problems"] == [
        "x.yaml: not served"]
