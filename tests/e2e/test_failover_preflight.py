"""Pre-flight: a target region unfit for traffic blocks the failover (exit 4) unless --force;
replication lag blocks only a planned switch (in an outage it says "RPO will be missed")."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot, wait_for_replicated_heartbeat
from tests.e2e.test_drill_interrupt import wait_for_line
from tests.e2e.test_failover_bad_input import playbook_with


def test_replication_lag_blocks_a_planned_switch_and_only_warns_in_an_outage(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=5.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=15)
    strict = playbook_with(tmp_path, "  rpo: 15m", "  rpo: 2s")
    before = estate_snapshot(aws)

    # A planned switch: us-east-1 is up and writing, so waiting would save data. Blocks.
    plan = cli("plan", "--region", "us-west-2", "--playbook", strict, "--json")
    assert plan.returncode == 4, plan.stderr
    checks = {c["name"]: c for c in json.loads(plan.stdout)["preflight"]}
    assert not checks["replication_lag"]["ok"]
    assert checks["replication_lag"]["severity"] == "normal"
    assert checks["target_alarms_ok"]["ok"] and checks["target_app_healthy"]["ok"]
    assert checks["capacity"]["ok"] and checks["database_replicating"]["ok"]
    blocked = cli("failover", "--region", "us-west-2", "--yes", "--playbook", strict)
    assert blocked.returncode == 4
    assert "pre-flight failed: replication_lag" in blocked.stderr and "--force" in blocked.stderr
    assert estate_snapshot(aws) == before

    # A real outage: the data beyond the RPO is already lost; blocking would only add RTO.
    manager.outage(sandbox.state_dir, "us-east-1")
    plan = cli("plan", "--region", "us-west-2", "--playbook", strict, "--json")
    assert plan.returncode == 0, plan.stderr
    done = cli("failover", "--region", "us-west-2", "--yes", "--json", "--playbook", strict)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    confirm = run["steps"][1]["output"]
    assert confirm["forced"] is False
    warned = [c for c in confirm["preflight"] if not c["ok"]]
    assert {c["name"] for c in warned} >= {"replication_lag"}
    assert all(c["severity"] == "advisory" for c in warned)
    assert any(w.startswith("RPO will be missed: ") for w in confirm["preflight_warnings"])
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


def hinted_command(stderr: str) -> list[str]:
    """The command in a `hint:` line's first `…`, as argv after `drctl`."""
    hint = next(line for line in stderr.splitlines() if line.startswith("hint:"))
    command = shlex.split(hint.split("`")[1])
    assert command[0] == "drctl"
    return command[1:]


def test_a_planned_switch_blocked_by_lag_waits_for_replication_to_catch_up(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=5.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=15)
    strict = playbook_with(tmp_path, "  rpo: 15m", "  rpo: 2s")
    before = estate_snapshot(aws)

    # Lag beyond the RPO target in a planned switch: blocked, and the way out is to wait.
    plan = cli("plan", "--region", "us-west-2", "--playbook", strict)
    assert plan.returncode == 4 and "--wait-for-replication" in plan.stderr, plan.stderr
    short = cli("failover", "--region", "us-west-2", "--yes", "--playbook", strict,
                "--wait-for-replication", "6s")
    assert short.returncode == 4, short.stderr
    assert "replication did not catch up within 6.0s" in short.stderr
    assert estate_snapshot(aws) == before
    blocked = cli("failover", "--region", "us-west-2", "--yes", "--playbook", strict)
    assert blocked.returncode == 4
    command = hinted_command(blocked.stderr)
    assert "--wait-for-replication" in command

    # The printed command waits; replication catches up (the lag drops to 1 s); it switches.
    waiting = cli.spawn(*command)
    try:
        wait_for_line(waiting, "waiting up to", timeout=120)
        manager.set_replication_lag(sandbox.state_dir, 1.0)
        out, err = waiting.communicate(timeout=300)
    finally:
        waiting.kill()
    assert waiting.returncode == 0, out + err
    [listed] = [r for r in cli.json("runs", "list") if r["status"] == "succeeded"]
    run = cli.json("runs", "show", listed["run_id"])
    confirm = run["steps"][1]["output"]
    assert confirm["waited_for_replication_seconds"] > 0 and confirm["forced"] is False
    lag = {c["name"]: c for c in confirm["preflight"]}["replication_lag"]
    assert lag["ok"] and lag["severity"] == "normal"
    assert run["rpo_met"] is True
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}
