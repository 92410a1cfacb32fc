"""The failover's step outputs that feed its measurement are typed, and read back by the same
class that wrote them (drctl/failover/outputs.py)."""

from __future__ import annotations

from datetime import timedelta

from drctl.core.measurement import RpoReading
from drctl.failover.measure import failover_measurement
from drctl.failover.outputs import IncidentStart, RpoAtCut, SmokePassed
from drctl.failover.rpo_stores import StoreRpo
from drctl.playbook.loader import load_playbook
from tests.unit.helpers import T0
from tests.unit.report_journal import PLAYBOOK


def test_each_output_reads_back_from_the_merged_facts() -> None:
    reading = RpoReading(4.0, "heartbeat:t", store="heartbeats")
    cut = RpoAtCut.of([StoreRpo("heartbeats", reading)], T0 + timedelta(seconds=30))
    start, smoke = IncidentStart(T0, "alarm:api"), SmokePassed(T0 + timedelta(minutes=2), 3)
    facts = {"failed_region": "us-east-1", **start.to_output(), **cut.to_output(),
             **smoke.to_output()}

    assert (IncidentStart.from_facts(facts), RpoAtCut.from_facts(facts),
            SmokePassed.from_facts(facts)) == (start, cut, smoke)


def test_the_measurement_is_made_from_the_typed_outputs() -> None:
    reading = RpoReading(4.0, "heartbeat:t", store="heartbeats")
    facts = {**IncidentStart(T0, "operator").to_output(),
             **RpoAtCut.of([StoreRpo("heartbeats", reading)], T0).to_output(),
             **SmokePassed(T0 + timedelta(seconds=90), 1).to_output()}

    figures = failover_measurement(load_playbook(PLAYBOOK), facts)

    assert (figures.recovery.rto_seconds, figures.recovery.rpo) == (90.0, reading)
    assert [s["store"] for s in figures.rpo_stores] == ["heartbeats"]


def test_nothing_established_is_nothing_measured_never_a_guess() -> None:
    assert (IncidentStart.from_facts({}), RpoAtCut.from_facts({}),
            SmokePassed.from_facts({})) == (None, None, None)
    old = {"rpo": RpoReading(2.0, "heartbeat:t").to_dict()}  # before rpo_read_at existed
    assert RpoAtCut.from_facts(old) == RpoAtCut(RpoReading(2.0, "heartbeat:t"), None, ())
