"""Round trips in a row: each failover promotes a database that was replicating, and measures
a true RPO, because `drctl reprotect` re-creates replication into the region just left.
Without it, the next failover is refused before anything changes (exit 4)."""

from __future__ import annotations

import json
import re
import shlex
import signal
import time
from pathlib import Path
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from tests.e2e.helpers import (
    PLAYBOOK,
    Cli,
    assert_store_rpos,
    estate_snapshot,
    wait_for_replicated_heartbeat,
    wait_until,
)
from tests.e2e.test_failback import wait_for_heartbeat

LAG = 2.0
EAST, WEST = "us-east-1", "us-west-2"
NAMES = {EAST: "roadtrip-db-east", WEST: "roadtrip-db-replica"}


def instances(aws: ClientFactory, region: str) -> dict[str, dict[str, Any]]:
    return {db["DBInstanceIdentifier"]: db
            for db in aws.client("rds", region).describe_db_instances()["DBInstances"]}


def fail_over(cli: Cli, aws: ClientFactory, sandbox: Any, to: str, outage: bool) -> dict:
    """A failover (the other region down) or a planned failback; returns the run."""
    away = WEST if to == EAST else EAST
    left_at = time.time()
    if outage:
        manager.outage(sandbox.state_dir, away)
    result = cli("failover", "--region", to, "--yes", "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    confirm = {c["name"]: c for c in run["steps"][1]["output"]["preflight"]}
    assert confirm["database_replicating"]["ok"], confirm
    # Each RPO is true: the injected lag, whichever way the traffic went (a planned failback
    # is judged as tests/e2e/test_failback.py judges it: by the media store).
    assert_store_rpos(run, LAG, at_lag=("database", "media") if outage else ("media",))
    promoted = instances(aws, to)[NAMES[to]]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    if outage:
        manager.restore(sandbox.state_dir, away)
    wait_for_heartbeat(aws, to, away, newer_than=left_at)  # it replicates out again
    return run


def reprotect(cli: Cli, aws: ClientFactory, region: str, source_region: str) -> dict:
    before = set(instances(aws, region))
    result = cli("reprotect", "--region", region, "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["kind"] == "reprotect" and run["status"] == "succeeded"
    now = instances(aws, region)
    fresh = now[NAMES[region]]
    assert fresh["ReadReplicaSourceDBInstanceIdentifier"].split(":")[3] == source_region
    assert set(now) >= before, "reprotect deleted an instance"  # the stale one is kept
    kept = run["steps"][0]["output"].get("kept_stale")
    if NAMES[region] in before:
        assert kept and kept["was"] == NAMES[region] and kept["now"] in now
    return run


def test_round_trips_with_reprotect_each_promote_a_replicating_database(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=LAG)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=LAG + 10)

    for round_trip in range(2):
        fail_over(cli, aws, sandbox, WEST, outage=True)
        if round_trip == 0:
            _stopped_reprotect_continues_by_its_hint(cli, aws)
        else:
            reprotect(cli, aws, EAST, source_region=WEST)
        fail_over(cli, aws, sandbox, EAST, outage=False)
        if round_trip == 0:
            _next_failover_is_refused_without_reprotect(cli, aws)
        reprotect(cli, aws, WEST, source_region=EAST)

    # The sandbox publishes ReplicaLag for whichever instance replicates, by its own name.
    lag = aws.client("cloudwatch", WEST).get_metric_statistics(
        Namespace="AWS/RDS", MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": NAMES[WEST]}],
        StartTime=time.time() - 120, EndTime=time.time() + 60, Period=60,
        Statistics=["Maximum"])["Datapoints"]
    assert lag and max(p["Maximum"] for p in lag) == LAG
    runs = cli.json("runs", "list")
    kinds = [(r["kind"], r["status"]) for r in runs]
    assert kinds.count(("reprotect", "succeeded")) == 4  # one per round trip and direction
    assert kinds.count(("reprotect", "interrupted")) == 1  # the SIGTERMed one, journaled


def _stopped_reprotect_continues_by_its_hint(cli: Cli, aws: ClientFactory) -> None:
    """SIGTERM once the new replica exists (the sandbox's ground truth), while drctl waits for
    it to replicate; the hint printed is run exactly as printed, and it finishes the job."""
    proc = cli.spawn("reprotect", "--region", EAST)
    try:
        wait_until(lambda: NAMES[EAST] in instances(aws, EAST), 60, "the new replica")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "(from None)" not in out, out
    hint = re.search(r"hint: .*`(drctl reprotect [^`]+)`", err)
    assert hint, err
    words = shlex.split(hint.group(1))
    assert Path(words[words.index("--playbook") + 1]).is_absolute(), words
    result = cli(*words[1:], "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["kind"] == "reprotect" and run["status"] == "succeeded", run
    fresh = instances(aws, EAST)[NAMES[EAST]]
    assert fresh["ReadReplicaSourceDBInstanceIdentifier"].split(":")[3] == WEST
    assert "roadtrip-db" in instances(aws, EAST)  # the old primary, kept


def _next_failover_is_refused_without_reprotect(cli: Cli, aws: ClientFactory) -> None:
    """us-west-2's database was promoted two failovers ago and nothing replicates into it."""
    before = estate_snapshot(aws)
    for args in (["plan", "--region", WEST], ["failover", "--region", WEST, "--yes"],
                 ["validate"]):
        result = cli(*args)
        assert result.returncode == (2 if args[0] == "validate" else 4), (args, result.stderr)
        said = result.stdout + result.stderr
        assert f"{WEST}/{NAMES[WEST]} is a standalone database" in said, said
        assert f"drctl reprotect --region {WEST}" in said, said
    assert estate_snapshot(aws) == before


def test_a_playbook_may_reprotect_after_every_failover(make_sandbox, use_sandbox,
                                                        tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=LAG)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    path = tmp_path / "playbook.yaml"
    text = PLAYBOOK.read_text()
    assert "    reprotect: false\n" in text  # off in the worked example
    path.write_text(text.replace("    reprotect: false\n", "    reprotect: true\n"))
    wait_for_replicated_heartbeat(aws, timeout=LAG + 10)

    result = cli("failover", "--region", WEST, "--yes", "--json", "--playbook", str(path))
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["reprotect"]["ok"] is True, run["reprotect"]
    east = instances(aws, EAST)
    assert east[NAMES[EAST]]["ReadReplicaSourceDBInstanceIdentifier"].split(":")[3] == WEST
    assert "roadtrip-db" in east  # the old primary is still there
    shown = cli.json("runs", "show", run["reprotect"]["run_id"])
    assert shown["kind"] == "reprotect" and shown["status"] == "succeeded"
