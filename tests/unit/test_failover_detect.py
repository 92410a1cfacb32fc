"""Detect: with no alarm firing, the RTO runs from the failover's start — the operator's time
answering "Fail over anyway?" is part of the recovery, not excluded from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.aws.cloudwatch import AlarmState
from drctl.core.clock import FakeClock, iso
from drctl.core.step import StepContext
from drctl.failover.detect import Detect
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.playbook.loader import load_playbook
from tests.unit.helpers import T0
from tests.unit.test_failover_notify import ROADTRIP


class QuietAlarms:
    """The failed region's CloudWatch: every alarm OK."""

    def cloudwatch(self, region: str) -> Any:
        return self

    def alarms(self, names: list[str]) -> list[AlarmState]:
        return [AlarmState(n, "OK", T0 - timedelta(hours=1), "") for n in names]


class ThinkingOperator:
    """Takes 20 s to answer yes."""

    interactive = True

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def ask(self, prompt: str) -> str:
        self.clock.advance(20)
        return "y"


def test_no_alarm_rto_starts_before_the_operator_answers() -> None:
    clock = FakeClock(T0)
    spec = FailoverSpec(load_playbook(ROADTRIP, env={}), str(ROADTRIP), "us-west-2",
                        "us-east-1", FailoverOptions())
    deps = FailoverDeps(aws=QuietAlarms(), clock=clock,  # type: ignore[arg-type]
                        operator=ThinkingOperator(clock), channels=lambda region: ([], []))

    output = Detect(spec, deps).apply(StepContext("fo-1", clock))

    assert output["incident_start_source"] == "failover_start"
    assert output["incident_start"] == iso(T0)  # not T0 + 20 s
    assert clock.now() == T0 + timedelta(seconds=20)
