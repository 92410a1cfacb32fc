"""A planned switch blocked only by replication lag offers to wait (issue 8 item 18): the
operator's --wait-for-replication, or a yes at a terminal; never a prompt without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from drctl.aws.estate import Aws
from drctl.core.clock import FakeClock
from drctl.core.operator import ScriptedOperator
from drctl.failover.catch_up import wait_hint, wait_offered
from drctl.failover.preflight import Check, only_lag_blocks
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.playbook.loader import load_playbook
from tests.unit.helpers import T0

PATH = str(Path(__file__).resolve().parents[2] / "playbooks/roadtrip.yaml")
LAGGING = [Check("replication_lag", False, "database 40.0s from heartbeat (RPO target 15.0s)")]


def offer(operator: ScriptedOperator, **options: Any) -> float:
    spec = FailoverSpec(load_playbook(PATH), PATH, "us-west-2", "us-east-1",
                        FailoverOptions(**options))
    deps = FailoverDeps(aws=cast(Aws, None), clock=FakeClock(T0), operator=operator,
                        channels=lambda region: ([], []))
    return wait_offered(spec, deps, LAGGING)


def test_at_a_terminal_the_wait_is_offered_and_taken() -> None:
    operator = ScriptedOperator(["y"])
    assert offer(operator) == 900.0  # the playbook's confirmation timeout
    [prompt] = operator.prompts
    assert "replication_lag: database 40.0s" in prompt and "Wait up to 15m00s" in prompt


@pytest.mark.parametrize("answer", ["", "n", "no", "wait"])
def test_anything_but_yes_does_not_wait(answer: str) -> None:
    assert offer(ScriptedOperator([answer])) == 0.0


@pytest.mark.parametrize(("operator", "options", "expected"), [
    (ScriptedOperator(interactive=False), {}, 0.0),    # no terminal: never a prompt
    (ScriptedOperator(["y"]), {"yes": True}, 0.0),      # --yes asks nothing
    (ScriptedOperator(["n"]), {"wait_replication": 30.0}, 30.0),  # the option decides
])
def test_without_a_person_to_ask_the_option_decides(operator, options, expected) -> None:
    assert offer(operator, **options) == expected
    assert operator.prompts == []


def test_only_lag_is_worth_waiting_for() -> None:
    assert only_lag_blocks(LAGGING)
    assert not only_lag_blocks([*LAGGING, Check("capacity", False, "max 2 < 4")])
    assert not only_lag_blocks([])


def test_the_hint_is_the_command_that_waits() -> None:
    spec = FailoverSpec(load_playbook(PATH), "my books/rt.yaml", "us-west-2", "us-east-1",
                        FailoverOptions(yes=True))
    assert "`drctl failover --region us-west-2 --playbook 'my books/rt.yaml' --yes " \
           "--wait-for-replication 30m00s`" in wait_hint(spec, 1800)
