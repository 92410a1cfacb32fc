"""Pre-flight fails closed: the kill switch, unfinished failovers, and checks that error."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

from drctl.chaos import kill_switch
from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.extension import GuardRails
from drctl.chaos.preflight import guard_alarms, run_preflight
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError
from drctl.core.events import Event
from drctl.playbook.schema import Playbook
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0

PLAYBOOK = Playbook.model_validate({
    "name": "p",
    "regions": {"us-east-1": {"role": "primary", "endpoint": "http://a"},
                "us-west-2": {"role": "secondary", "endpoint": "http://b"}},
    "detection": {"alarms": ["errors-{region}"]},
    "dns": {"zone": "example.com", "records": [{"name": "api.example.com"}]},
    "smoke_tests": {"checks": [{"name": "h", "url": "{endpoint}/health"}]},
    "rpo": [{"heartbeat": {"table": "t", "key": {"w": "{failed_region}"}}}],
})


class QuietAws:
    """No alarm fires and no DNS is read (resource scope)."""

    def cloudwatch(self, region: str) -> Any:
        return self

    def alarms(self, names: list[str]) -> list[Any]:
        return []


class BrokenAws(QuietAws):
    def alarms(self, names: list[str]) -> list[Any]:
        raise AwsError("describe alarms in us-west-2 failed: Throttling")


def chaos(**guard: Any) -> ChaosExperiment:
    return ChaosExperiment("e.json", {"title": "t"}, GuardRails.model_validate(guard),
                           ("us-west-2",))


def refusals(store: MemoryStore, aws: Any, experiment: ChaosExperiment | None = None
             ) -> dict[str, str]:
    experiment = experiment or chaos()
    result = run_preflight(experiment, guard_alarms(experiment, PLAYBOOK), PLAYBOOK, store, aws,
                           T0)
    return {check.name: check.detail for check in result.refusals}


def test_a_quiet_estate_passes_every_check() -> None:
    assert refusals(MemoryStore(), QuietAws()) == {}


def test_the_kill_switch_refuses_with_its_reason() -> None:
    store = MemoryStore()
    kill_switch.engage(Engine(store, FakeClock(T0)), "incident INC-42")

    assert "incident INC-42" in refusals(store, QuietAws())["kill_switch"]


def test_an_unreadable_kill_switch_counts_as_engaged() -> None:
    store = MemoryStore()
    store.put_setting(kill_switch.SETTING, "{not json")

    assert "unreadable" in refusals(store, QuietAws())["kill_switch"]


def test_an_interrupted_failover_refuses() -> None:
    store = MemoryStore()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    store.append(Event("fa-1", "run_started", T0, data={
        "kind": "failover", "params": {}, "pid": int(dead.stdout),
        "host": socket.gethostname(), "user": "u"}))

    assert "fa-1 (interrupted)" in refusals(store, QuietAws())["failovers"]


def test_a_finished_failover_does_not_refuse() -> None:
    store = MemoryStore()
    store.append(Event("fa-1", "run_started", T0, data={"kind": "failover", "params": {}}))
    store.append(Event("fa-1", "run_finished", T0, data={"status": "succeeded"}))

    assert "failovers" not in refusals(store, QuietAws())


def test_an_alarm_check_that_errors_refuses_fail_closed() -> None:
    detail = refusals(MemoryStore(), BrokenAws())["guard_alarms"]

    assert detail.startswith("could not check (AwsError: describe alarms")


def test_a_region_scope_experiment_without_targets_refuses() -> None:
    experiment = ChaosExperiment("e.json", {}, GuardRails(scope="region"), ())

    assert "target_regions" in refusals(MemoryStore(), QuietAws(), experiment)["blast_radius"]


def test_inside_a_blocked_window_refuses() -> None:
    experiment = chaos(blocked_windows=[{"start": "00:00", "end": "23:59", "reason": "freeze"}])

    assert "freeze" in refusals(MemoryStore(), QuietAws(), experiment)["blocked_windows"]


def test_guard_alarms_are_the_playbooks_in_every_region_plus_the_experiments() -> None:
    alarms = guard_alarms(chaos(guard_alarms=["extra-{region}", "errors-{region}"]), PLAYBOOK)

    assert alarms == {"us-east-1": ["errors-us-east-1"],
                      "us-west-2": ["errors-us-west-2", "extra-us-west-2"]}
