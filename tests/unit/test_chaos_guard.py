"""The in-run guard: what stops an experiment at an activity boundary, and what does not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.chaos import guard as guard_module
from drctl.chaos import kill_switch
from drctl.chaos.guard import Guard, GuardConfig
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0


@dataclass
class Alarm:
    name: str
    state: str


class Alarms:
    """A CloudWatch stand-in whose alarm states a test sets; counts its reads."""

    def __init__(self, state: str = "OK", error: Exception | None = None) -> None:
        self.state, self.error, self.reads = state, error, 0

    def cloudwatch(self, region: str) -> Any:
        return self

    def alarms(self, names: list[str]) -> list[Alarm]:
        self.reads += 1
        if self.error:
            raise self.error
        return [Alarm(name, self.state) for name in names]


def guard(aws: Alarms, store: MemoryStore | None = None) -> tuple[Guard, list[Any]]:
    sent: list[Any] = []
    config = GuardConfig("unused.db", {"us-west-2": ["latency-us-west-2"]})
    return Guard(config, sent.append, aws=aws, store=store or MemoryStore()), sent  # type: ignore[arg-type]


def test_a_quiet_estate_does_not_stop() -> None:
    assert guard(Alarms())[0].check() is None


def test_a_stop_alarm_in_alarm_stops_and_is_reported_once() -> None:
    g, sent = guard(Alarms("ALARM"))

    first, again = g.check(), g.check()

    assert first is again and first is not None and first.by == "guard"
    assert "us-west-2/latency-us-west-2" in first.reason
    assert sent == [("stopped", {"by": "guard", "reason": first.reason})]


def test_the_kill_switch_stops() -> None:
    store = MemoryStore()
    kill_switch.engage(Engine(store, FakeClock(T0)), "game day over")

    stop = guard(Alarms(), store)[0].check()

    assert stop is not None and stop.by == "kill_switch" and "game day over" in stop.reason


def test_alarms_that_cannot_be_read_stop_the_experiment() -> None:
    stop = guard(Alarms(error=AwsError("Throttling")))[0].check()

    assert stop is not None and "guard check failed (AwsError: Throttling)" in stop.reason


def test_nothing_stops_rollbacks() -> None:
    g, _ = guard(Alarms("ALARM"))
    g.disarm()

    assert g.check() is None


def test_alarms_are_not_reread_at_every_boundary(monkeypatch: Any) -> None:
    aws = Alarms()
    g, _ = guard(aws)
    g.check()
    g.check()
    assert aws.reads == 1

    monkeypatch.setattr(guard_module, "ALARM_READ_INTERVAL", 0.0)
    g.check()
    assert aws.reads == 2


def test_the_watcher_trips_on_a_stop_alarm_between_boundaries_within_about_a_second() -> None:
    import threading
    import time

    aws = Alarms()
    watched, _ = guard(aws)
    tripped = threading.Event()
    watched.watch(tripped.set, interval=0.1)
    time.sleep(0.3)
    assert not tripped.is_set()

    aws.state = "ALARM"
    raised = time.monotonic()
    assert tripped.wait(timeout=10)
    latency = time.monotonic() - raised

    # At most one alarm read interval (1 s) plus one watch interval, on an idle machine.
    assert latency < guard_module.ALARM_READ_INTERVAL + 1.0, latency
    assert watched.stop is not None and watched.stop.by == "guard"


def test_the_watcher_never_interrupts_the_rollbacks() -> None:
    import threading
    import time

    watched, _ = guard(Alarms("ALARM"))
    watched.disarm()  # rollbacks have started
    tripped = threading.Event()
    watched.watch(tripped.set, interval=0.05)
    time.sleep(0.3)
    assert not tripped.is_set()
