"""Run summaries in the store contract (drctl/store/base.py), run against every backend.

tests/e2e/test_store_dynamodb.py runs these against DynamoDB in the sandbox as well.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from drctl.core.errors import UnknownRun
from drctl.core.events import Event
from drctl.core.measurement import Measurement
from drctl.core.summary import RunSummary
from drctl.store.base import Store, list_summaries, resolve
from tests.unit.helpers import T0, drill_figures

MEASURED = {"rto_seconds": 42.0, "rto_target_seconds": 3600.0, "rpo_seconds": 20.0,
            "rpo_target_seconds": 15.0, "rpo_source": "heartbeat:t"}


def begin(store: Store, run_id: str, kind: str = "failover", minutes: int = 0,
          **params: Any) -> None:
    params = {"playbook": "roadtrip", "playbook_path": "/p/roadtrip.yaml", **params}
    store.append(Event(run_id, "run_started", T0 + timedelta(minutes=minutes),
                       data={"kind": kind, "params": params, "user": "ana", "host": "h",
                             "pid": 1}))


def end(store: Store, run_id: str, status: str = "succeeded", minutes: int = 1,
        measurement: dict[str, Any] | None = None, error: str | None = None) -> None:
    at = T0 + timedelta(minutes=minutes)
    if measurement is not None:
        store.append(Event(run_id, "run_measured", at, data={"measurement": measurement}))
    store.append(Event(run_id, "run_finished", at, data={"status": status, "error": error}))


def only(store: Store, **filters: Any) -> RunSummary:
    found = store.summaries(**filters)
    assert len(found) == 1, found
    return found[0]


def test_a_started_run_is_listed_running_before_it_ends(store: Store) -> None:
    begin(store, "fo-1", target_region="us-west-2", failed_region="us-east-1")

    summary = only(store)

    assert (summary.run_id, summary.kind, summary.status) == ("fo-1", "failover", "running")
    assert summary.ended_at is None
    assert summary.target == "us-west-2"
    assert summary.line == "us-east-1 -> us-west-2"


def test_the_end_of_a_run_writes_its_figures_against_targets(store: Store) -> None:
    begin(store, "fo-1", target_region="us-west-2")
    end(store, "fo-1", "succeeded", minutes=3, measurement=MEASURED)

    data = only(store).to_dict()

    assert data["status"] == "succeeded"
    assert data["ended_at"] == "2026-01-01T12:03:00.000Z"
    assert (data["rto_seconds"], data["rto_target_seconds"], data["rto_met"]) == (
        42.0, 3600.0, True)
    assert (data["rpo_seconds"], data["rpo_target_seconds"], data["rpo_met"]) == (
        20.0, 15.0, False)
    assert data["targets_met"] is False
    assert (data["playbook"], data["playbook_path"]) == ("roadtrip", "/p/roadtrip.yaml")


def test_unmeasured_is_null_not_missed(store: Store) -> None:
    begin(store, "fo-1")
    end(store, "fo-1", "failed", error="switch_dns: throttled")

    data = only(store).to_dict()

    assert data["rto_seconds"] is None and data["rto_met"] is None
    assert data["rpo_seconds"] is None and data["rpo_met"] is None
    assert data["targets_met"] is None
    assert data["error"] == "switch_dns: throttled"


def test_targets_met_only_when_every_figure_was_measured_and_met(store: Store) -> None:
    begin(store, "fo-1")
    end(store, "fo-1", measurement={**MEASURED, "rpo_seconds": 5.0})
    begin(store, "fo-2", minutes=2)
    end(store, "fo-2", measurement={**MEASURED, "rpo_seconds": None}, minutes=3)

    assert store.summaries()[1].targets_met is True
    assert store.summaries()[0].targets_met is None  # RPO unknown: not a pass


def test_chaos_verdict_and_trigger_are_kept(store: Store) -> None:
    trigger = {"schedule": "nightly-az", "fire_time": "2026-01-01T03:00:00.000Z"}
    begin(store, "ch-1", "chaos", experiment="lose an AZ", trigger=trigger)
    end(store, "ch-1", "failed", measurement={"verdict": "deviated",
                                                "verdict_reason": "API down after"})

    summary = only(store)

    assert summary.verdict == "deviated"
    assert summary.trigger == trigger
    assert summary.target == "lose an AZ"
    assert summary.line == "deviated: API down after"


def test_summaries_are_newest_first_and_filtered(store: Store) -> None:
    begin(store, "fo-old", minutes=0)
    begin(store, "dr-mid", "drill", minutes=5, target="dynamodb:t", playbook="other")
    begin(store, "fo-new", minutes=10)

    assert [s.run_id for s in store.summaries()] == ["fo-new", "dr-mid", "fo-old"]
    assert [s.run_id for s in store.summaries(kind="failover")] == ["fo-new", "fo-old"]
    assert [s.run_id for s in store.summaries(since=T0 + timedelta(minutes=5))] == [
        "fo-new", "dr-mid"]
    assert [s.run_id for s in store.summaries(playbook="other")] == ["dr-mid"]
    assert [s.run_id for s in store.summaries(limit=2)] == ["fo-new", "dr-mid"]
    assert store.summaries(kind="runbook") == []


def test_a_resumed_and_then_finished_run_has_one_current_summary(store: Store) -> None:
    begin(store, "fo-1")
    store.append(Event("fo-1", "run_interrupted", T0 + timedelta(seconds=30),
                       data={"reason": "Ctrl-C"}))
    assert only(store).status == "interrupted"
    store.append(Event("fo-1", "run_resumed", T0 + timedelta(seconds=40),
                       data={"user": "bo", "host": "h2", "pid": 7}))
    assert (only(store).status, only(store).owner["user"]) == ("running", "bo")
    end(store, "fo-1", minutes=2)

    assert only(store).status == "succeeded"


def test_put_summary_replaces_by_run_id(store: Store) -> None:
    begin(store, "fo-1")
    summary = only(store)
    store.put_summary(RunSummary(**{**summary.__dict__, "line": "rewritten"}))

    assert only(store).line == "rewritten"


def test_listing_shows_a_run_whose_process_is_gone_as_interrupted(store: Store) -> None:
    import socket

    store.append(Event("fo-1", "run_started", T0, data={
        "kind": "failover", "params": {}, "user": "u", "host": socket.gethostname(),
        "pid": 2**22 + 1}))  # above pid_max: no such process

    assert store.summaries()[0].status == "running"
    assert list_summaries(store)[0].status == "interrupted"


def test_prefix_lookup_is_bounded_and_in_id_order(store: Store) -> None:
    for i in range(12):
        begin(store, f"fo-{i:02d}", minutes=i)
    begin(store, "dr-1", "drill")

    assert store.ids_with_prefix("fo-0", limit=3) == ["fo-00", "fo-01", "fo-02"]
    assert store.ids_with_prefix("fo-1") == ["fo-10", "fo-11"]
    assert store.ids_with_prefix("x") == []
    assert resolve(store, "fo-11") == "fo-11"
    with pytest.raises(UnknownRun, match="ambiguous"):
        resolve(store, "fo-")


def test_a_finished_summary_keeps_what_a_report_reads(store: Store) -> None:
    """Version 2: step times, drill kind, the region it ended in and the measured times, so
    `drctl report` never folds a finished run's journal. Not in `runs list --json`."""
    params = {"playbook": "roadtrip", "target": "rds:roadtrip-db", "kind": "snapshot",
              "region": "us-east-1", "restore_region": "us-west-2"}
    store.append(Event("dr-1", "run_started", T0, data={"kind": "drill", "params": params,
                                                        "user": "ana", "host": "h", "pid": 1}))
    for step, minute in (("restore", 0), ("validate", 2)):
        store.append(Event("dr-1", "step_started", T0 + timedelta(minutes=minute), step,
                           {"index": 1, "total": 2, "attempt": 1}))
        store.append(Event("dr-1", "step_succeeded", T0 + timedelta(minutes=minute + 2), step,
                           {"output": {}}))
    recovery = Measurement(T0, "restore start", None, None, None, 3600.0, 900.0)
    end(store, "dr-1", minutes=4, measurement=drill_figures(
        recovery=recovery, validated_at=T0 + timedelta(minutes=4)).to_dict())

    summary = only(store)

    assert (summary.version, summary.drill_kind, summary.region) == \
        (2, "snapshot", "us-west-2")
    assert [(s.name, s.status, s.seconds) for s in summary.steps] == \
        [("restore", "succeeded", 120.0), ("validate", "succeeded", 120.0)]
    assert summary.validated_at == summary.ended_at == T0 + timedelta(minutes=4)
    assert (summary.incident_start, summary.recovered_at) == (T0, None)
    assert "steps" not in summary.to_dict() and "steps" in summary.stored()
