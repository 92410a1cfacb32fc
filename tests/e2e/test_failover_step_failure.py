"""A step that cannot succeed: refused up front when the plan can tell, and otherwise a failed
run whose journal says which step, what was already changed, and the ways out."""

from __future__ import annotations

import json
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot
from tests.e2e.test_failover_bad_input import playbook_with


def test_missing_replica_is_refused_before_anything_changes(make_sandbox, use_sandbox,
                                                             tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    before = estate_snapshot(aws)
    path = playbook_with(tmp_path, "us-west-2: roadtrip-db-replica", "us-west-2: no-such-db")

    result = cli("failover", "--region", "us-west-2", "--yes", "--playbook", path)
    assert result.returncode == 2
    assert "no-such-db" in result.stderr
    assert estate_snapshot(aws) == before
    # The run opened before the reads (drctl/failover/runner.py): it ended aborted, nothing
    # changed, and the playbook's lock is free for the corrected failover.
    [run] = cli.json("runs", "list")
    assert run["status"] == "aborted"
    shown = cli.json("runs", "show", run["run_id"])
    assert "refused before anything changed" in shown["error"] and "no-such-db" in shown["error"]
    assert shown["changes"] == [] and shown["steps"] == []


def test_step_failing_midway_journals_what_changed_and_the_ways_out(
    make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    # More workers than the group's MaxSize (12): AWS refuses SetDesiredCapacity.
    path = playbook_with(tmp_path, "      desired: 4", "      desired: 20")

    blocked = cli("failover", "--region", "us-west-2", "--yes", "--playbook", path)
    assert blocked.returncode == 4 and "capacity" in blocked.stderr

    failed = cli("failover", "--region", "us-west-2", "--yes", "--force", "--json",
                 "--playbook", path)
    assert failed.returncode == 1, failed.stderr
    run = json.loads(failed.stdout)
    assert run["status"] == "failed"
    steps = {s["name"]: s["status"] for s in run["steps"]}
    assert steps["switch_dns"] == "succeeded" and steps["scale_secondary"] == "failed"
    assert "roadtrip-workers" in run["error"]
    recovery = run["recovery"]
    assert recovery["failed_step"] == "scale_secondary"
    assert "switch_dns done" in recovery["changed"]
    assert f"--resume {run['run_id']}" in recovery["resume"]
    assert "--region us-east-1" in recovery["roll_back"]
    assert "already changed" in failed.stderr and "--resume" in failed.stderr
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}

    # The failed run holds the playbook. A resume uses the playbook it started with: a
    # changed one is refused, showing the change.
    assert cli("failover", "--region", "us-west-2", "--yes").returncode == 4
    changed = Path(path)  # the playbook the run started with
    changed.write_text(changed.read_text().replace("      desired: 20", "      desired: 4"))
    refused = cli("failover", "--resume", run["run_id"])
    assert refused.returncode == 2, refused.stderr
    assert "-      desired: 20" in refused.stderr and "+      desired: 4" in refused.stderr
    changed.write_text(changed.read_text().replace("      desired: 4", "      desired: 20"))
    # The cause fixed where it is (the group may now grow to 20), it resumes to the end.
    aws.client("autoscaling", "us-west-2").update_auto_scaling_group(
        AutoScalingGroupName="roadtrip-workers", MaxSize=20)
    resumed = cli("failover", "--resume", run["run_id"], "--json")
    assert resumed.returncode == 0, resumed.stderr
    final = json.loads(resumed.stdout)
    assert final["status"] == "succeeded" and "recovery" not in final
    assert estate_snapshot(aws)["asg:us-west-2"] == 20
