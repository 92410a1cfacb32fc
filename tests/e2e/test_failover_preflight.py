"""Pre-flight: a target region unfit for traffic blocks the failover (exit 4) unless --force."""

from __future__ import annotations

import json
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot, wait_for_replicated_heartbeat
from tests.e2e.test_failover_bad_input import playbook_with


def test_replication_lag_over_target_blocks_unless_forced(make_sandbox, use_sandbox,
                                                          tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=5.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=15)
    manager.outage(sandbox.state_dir, "us-east-1")
    strict = playbook_with(tmp_path, "  rpo: 15m", "  rpo: 2s")
    before = estate_snapshot(aws)

    plan = cli.json("plan", "--region", "us-west-2", "--playbook", strict)
    checks = {c["name"]: c for c in plan["preflight"]}
    assert not checks["replication_lag"]["ok"]
    assert checks["target_alarms_ok"]["ok"] and checks["target_app_healthy"]["ok"]
    assert checks["capacity"]["ok"]

    blocked = cli("failover", "--region", "us-west-2", "--yes", "--playbook", strict)
    assert blocked.returncode == 4
    assert "pre-flight failed: replication_lag" in blocked.stderr and "--force" in blocked.stderr
    assert estate_snapshot(aws) == before

    forced = cli("failover", "--region", "us-west-2", "--yes", "--force", "--json",
                 "--playbook", strict)
    assert forced.returncode == 0, forced.stderr
    run = json.loads(forced.stdout)
    confirm = run["steps"][1]["output"]
    assert confirm["forced"] is True
    assert [c["name"] for c in confirm["preflight"] if not c["ok"]] == ["replication_lag"]
    assert run["rpo_met"] is False  # the lag the check saw is the RPO the run measured


def test_unhealthy_target_region_blocks(make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    manager.outage(sandbox.state_dir, "us-west-2")
    before = estate_snapshot(aws)

    blocked = cli("failover", "--region", "us-west-2", "--yes")
    assert blocked.returncode == 4
    assert "target_alarms_ok: in ALARM: roadtrip-api-5xx-us-west-2" in blocked.stderr
    assert "target_app_healthy" in blocked.stderr
    assert estate_snapshot(aws) == before
    # Nothing was changed, so the playbook is free again once the region recovers.
    manager.restore(sandbox.state_dir, "us-west-2")
    assert cli("failover", "--region", "us-west-2", "--yes").returncode == 0
