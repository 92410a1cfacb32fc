"""Approval by a second person, driven from two processes as two OS users."""

from __future__ import annotations

import json
import time
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot, inbox_messages
from tests.e2e.test_failover_bad_input import playbook_with


def as_user(name: str) -> dict[str, str]:
    # getpass.getuser() reads LOGNAME first, then USER.
    return {"LOGNAME": name, "USER": name}


def wait_for_status(cli: Cli, status: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = cli.json("runs", "list")
        if runs and runs[0]["status"] == status:
            return str(runs[0]["run_id"])
        time.sleep(0.5)
    raise AssertionError(f"no run reached {status}: {cli.json('runs', 'list')}")


def test_second_person_approves(make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    inbox_messages(aws, "us-west-2")

    executor = cli.spawn("failover", "--region", "us-west-2", "--approval", "--json",
                         env=as_user("alice"))
    run_id = wait_for_status(cli, "waiting")
    assert any(f"drctl approve {run_id}" in m for m in inbox_messages(aws, "us-west-2"))

    own = cli("approve", run_id, env=as_user("alice"))
    assert own.returncode == 4
    assert "started this failover and may not approve it" in own.stderr

    approved = cli("approve", run_id, "--comment", "checked the dashboards", env=as_user("bob"))
    assert approved.returncode == 0, approved.stderr
    out, err = executor.communicate(timeout=120)
    assert executor.returncode == 0, err
    run = json.loads(out)
    assert run["status"] == "succeeded"
    confirm = run["steps"][1]
    assert confirm["name"] == "confirm"
    assert confirm["output"]["approved_by"]["user"] == "bob"
    assert "approval by bob" in confirm["output"]["confirmed_by"]
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}
    # Approving again is refused: it is no longer waiting.
    assert cli("approve", run_id, env=as_user("carol")).returncode == 2


def test_rejection_and_timeout_end_as_not_confirmed(make_sandbox, use_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    before = estate_snapshot(aws)

    executor = cli.spawn("failover", "--region", "us-west-2", "--approval",
                         env=as_user("alice"))
    run_id = wait_for_status(cli, "waiting")
    rejected = cli("reject", run_id, "--reason", "not a regional outage", env=as_user("bob"))
    assert rejected.returncode == 0, rejected.stderr
    _, err = executor.communicate(timeout=120)
    assert executor.returncode == 3
    assert "rejected by bob" in err and "not a regional outage" in err
    assert cli.json("runs", "show", run_id)["status"] == "aborted"

    quick = playbook_with(tmp_path, "  timeout: 15m", "  timeout: 2s")
    timed_out = cli("failover", "--region", "us-west-2", "--approval", "--playbook", quick)
    assert timed_out.returncode == 3
    assert "no approval within 2.0s" in timed_out.stderr
    assert estate_snapshot(aws) == before
