"""The six-step failover, end to end: the CLI in a subprocess against a live sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drctl.core.clock import parse_iso
from drctl.sandbox import manager
from tests.e2e.helpers import (
    Cli,
    assert_store_rpos,
    estate_snapshot,
    inbox_messages,
    wait_for_replicated_heartbeat,
    wait_until,
)

STEPS = ["detect", "confirm", "switch_dns", "scale_secondary", "smoke_test", "notify"]


# The module's sandbox (lag 3 s) serves the plan test first, while its estate is untouched,
# then the 3 s failover; the 20 s one gets a sandbox of its own. (One sandbox fewer to start
# and stop than a sandbox for each test.)
pytestmark = pytest.mark.sandbox(lag=3.0)


def test_plan_and_dry_run_list_every_change_and_change_nothing(sandbox, aws, tmp_path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    before = estate_snapshot(aws)

    plan = cli.json("plan", "--region", "us-west-2")
    dry = cli.json("failover", "--region", "us-west-2", "--dry-run")

    assert estate_snapshot(aws) == before
    assert plan["changes"] == dry["changes"]
    changes = {(c["step"], c["target"], c["before"], c["after"]) for c in plan["changes"]}
    assert changes == {
        ("switch_dns", "api.roadcopilot.com [us-east-1]", 100, 0),
        ("switch_dns", "api.roadcopilot.com [us-west-2]", 0, 100),
        ("scale_secondary", "roadtrip/api", 1, 6),
        ("scale_secondary", "roadtrip/voice", 1, 3),
        ("scale_secondary", "roadtrip/poi-sync", 1, 2),
        ("scale_secondary", "roadtrip-workers", 1, 4),
        ("scale_secondary", "roadtrip-db-replica", "replica", "standalone"),
    }
    # A dry run is not a run.
    assert cli.json("runs", "list") == []


@pytest.mark.parametrize("lag", [3.0, 20.0])
def test_failover_moves_traffic_and_measures_true_rto_rpo(
    lag: float, request: pytest.FixtureRequest, make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = request.getfixturevalue("sandbox") if lag == 3.0 else make_sandbox(lag=lag)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=lag + 10)
    inbox_messages(aws, "us-west-2")  # drain anything seeded

    manager.outage(sandbox.state_dir, "us-east-1")
    truth = manager.ground_truth(sandbox.state_dir)
    outage_start = parse_iso(truth["outages"]["us-east-1"]["started_at"])

    launched = datetime.now(UTC)
    result = cli("failover", "--region", "us-west-2", "--yes", "--json")
    finished = datetime.now(UTC)
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)

    assert run["kind"] == "failover" and run["status"] == "succeeded"
    assert run["target_region"] == "us-west-2"
    assert [s["name"] for s in run["steps"]] == STEPS
    assert all(s["status"] == "succeeded" and s["duration_seconds"] >= 0 for s in run["steps"])

    # RPO: the injected lag is the ground truth; the heartbeat and the media canary are
    # written every second; each store measured, the run's RPO the worse of the two.
    assert_store_rpos(run, lag)
    assert run["rpo_target_seconds"] == 900 and run["rpo_met"] is True

    # RTO: from the alarm transition (the outage start, give or take evaluation) to the first
    # smoke pass, which happened inside the smoke_test step after every earlier step ended.
    incident = parse_iso(run["incident_start"])
    recovered = parse_iso(run["recovered_at"])
    assert abs((incident - outage_start).total_seconds()) <= 1.0
    assert run["rto_seconds"] == pytest.approx((recovered - incident).total_seconds(), abs=0.01)
    smoke = run["steps"][4]
    assert parse_iso(smoke["started_at"]) <= recovered <= parse_iso(smoke["ended_at"])
    assert recovered >= parse_iso(run["steps"][3]["ended_at"])
    # ...and against the test's own clock: recovery happened while the CLI ran, so the RTO
    # lies between (launch - outage start) and (exit - outage start).
    assert launched <= recovered <= finished
    low, high = ((t - outage_start).total_seconds() for t in (launched, finished))
    assert low - 1.0 <= run["rto_seconds"] <= high + 1.0
    assert run["rto_target_seconds"] == 3600 and run["rto_met"] is True

    # The estate, read back independently.
    estate = estate_snapshot(aws)
    assert estate["weights"] == {"us-east-1": 0, "us-west-2": 100}
    assert estate["ecs:us-west-2"] == {"api": 6, "voice": 3, "poi-sync": 2}
    assert estate["asg:us-west-2"] == 4
    assert estate["replica_source"] is None
    messages = inbox_messages(aws, "us-west-2")
    assert any(run["run_id"] in body and "us-west-2" in body for body in messages), messages

    # The journal says the same thing through `runs show` and `runs list`.
    assert cli.json("runs", "show", run["run_id"]) == run
    [listed] = cli.json("runs", "list")
    assert {k: listed[k] for k in ("run_id", "kind", "status", "started_at")} == {
        "run_id": run["run_id"], "kind": "failover", "status": "succeeded",
        "started_at": run["started_at"]}
    # ... read from the run's summary, which carries the same figures.
    for key in ("ended_at", "rto_seconds", "rto_target_seconds", "rto_met", "rpo_seconds",
                "rpo_target_seconds", "rpo_met"):
        assert listed[key] == run[key], key
    assert (listed["target"], listed["targets_met"]) == ("us-west-2", True)

    # `validate` right after, us-east-1 still down: the playbook is valid; what the outage
    # keeps from being checked (us-west-2's heartbeat cannot replicate into us-east-1) is
    # listed as not checked, at the heartbeat's line, not as a problem (exit 0, not 2).
    west = aws.client("dynamodb", "us-west-2")
    wait_until(lambda: west.get_item(  # the app follows DNS: its first beat may be a moment away
        TableName="roadtrip-heartbeats", Key={"writer": {"S": "us-west-2"}},
        ConsistentRead=True).get("Item"), timeout=60, what="us-west-2's own heartbeat")
    checked = cli("validate", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert (report["valid"], report["problems"]) == (True, [])
    [unchecked] = report["not_checked"]
    assert "not checked while us-east-1 is in outage" in unchecked
    assert "no heartbeat {'writer': 'us-west-2'} in roadtrip-heartbeats (us-east-1)" in unchecked
