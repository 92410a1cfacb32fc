"""A full round trip: fail over to us-west-2 during an outage, restore us-east-1, fail back.

The sandbox follows DNS (the active region writes heartbeats and replicates out), so the
failback has a true RPO too: what had not crossed to us-east-1 when DNS switched back, as the
sandbox recorded it at that cut (`last_cut`), checked with a CPU hog running beside the failback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from drctl.aws.clients import ClientFactory
from drctl.core.clock import parse_iso
from drctl.sandbox import manager
from tests.e2e.helpers import (
    Cli,
    assert_store_rpos,
    cpu_hog,
    estate_snapshot,
    wait_for_replicated_heartbeat,
)

LAG = 3.0


def wait_for_heartbeat(aws: ClientFactory, writer: str, region: str, newer_than: float) -> None:
    ddb = aws.client("dynamodb", region)
    deadline = time.monotonic() + LAG + 15
    while time.monotonic() < deadline:
        item = ddb.get_item(TableName="roadtrip-heartbeats", Key={"writer": {"S": writer}},
                            ConsistentRead=True).get("Item")
        if item and float(item["written_at"]["N"]) > newer_than:
            return
        time.sleep(0.25)
    raise AssertionError(f"no fresh heartbeat of {writer} in {region}")


def test_failover_then_failback_round_trip(make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=LAG)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=LAG + 10)

    manager.outage(sandbox.state_dir, "us-east-1")
    out = cli("failover", "--region", "us-west-2", "--yes", "--json")
    assert out.returncode == 0, out.stderr
    assert abs(json.loads(out.stdout)["rpo_seconds"] - LAG) <= 2.0

    # us-west-2 now takes the traffic: it writes, and replicates back once us-east-1 is up.
    switched = time.time()
    manager.restore(sandbox.state_dir, "us-east-1")
    wait_for_heartbeat(aws, "us-west-2", "us-east-1", newer_than=switched)
    assert manager.ground_truth(sandbox.state_dir)["active_region"] == "us-west-2"

    plan = cli.json("plan", "--region", "us-east-1")
    assert {(c["action"], c["target"]) for c in plan["changes"]} == {
        ("set weight", "api.roadcopilot.com [us-east-1]"),
        ("set weight", "api.roadcopilot.com [us-west-2]"),
        ("create and promote read replica", "roadtrip-db-east"),
    }

    # The failback on a busy machine: the RPO must still be the sandbox's own truth.
    with cpu_hog():
        back = cli("failover", "--region", "us-east-1", "--yes", "--json")
    assert back.returncode == 0, back.stderr
    run = json.loads(back.stdout)
    assert run["status"] == "succeeded" and run["failed_region"] == "us-west-2"
    # A planned failback: no alarm fired, so the RTO runs from the failover's own start.
    assert run["incident_start_source"] == "failover_start"
    # Both stores stop replicating out of us-west-2 at the DNS switch (the sandbox's cut).
    # The media bucket is judged by the lag; the database (heartbeat table) by the sandbox's
    # own record of that cut, not the injected lag (how much of it was in flight depends on
    # when, between two beats, the switch came).
    assert_store_rpos(run, LAG, at_lag=("media",))
    database = {s["store"]: s for s in run["rpo_stores"]}["database"]
    cut = manager.ground_truth(sandbox.state_dir)["last_cut"]
    assert (cut["from"], cut["to"]) == ("us-west-2", "us-east-1")
    detail = database["rpo_detail"]
    written = [parse_iso(t) for t in (cut["newest_write_at"], detail["newest_write_at"])]
    assert abs((written[0] - written[1]).total_seconds()) < 0.01, (cut, detail)
    assert abs(database["rpo_seconds"] - cut["lost_seconds"]) <= 0.5, (cut, detail)
    # The ground truth itself is about the lag; how much more depends on how late the
    # sandbox's replicator ran under the CPU hog (4.02 s at lag 3 s on a load-30 machine). The
    # oracle is the line above; this only catches a cut recorded grossly wrong.
    assert 0 < cut["lost_seconds"] <= 3 * LAG, cut
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 100, "us-west-2": 0}
    # Failback differs as the playbook says: us-east-1 gets a fresh replica of the new
    # primary, promoted; ECS and the workers there are already at production size.
    assert [c["target"] for c in run["steps"][3]["output"]["scaled"]] == ["roadtrip-db-east"]
    rds = aws.client("rds", "us-east-1")
    east = rds.describe_db_instances(DBInstanceIdentifier="roadtrip-db-east")["DBInstances"][0]
    assert east["DBInstanceStatus"] == "available"
    assert "ReadReplicaSourceDBInstanceIdentifier" not in east
    runs = cli.json("runs", "list")
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]

    # And the sandbox followed DNS back at the switch itself: us-east-1 writes again.
    assert manager.ground_truth(sandbox.state_dir)["active_region"] == "us-east-1"
    wait_for_heartbeat(aws, "us-east-1", "us-east-1", newer_than=time.time())
