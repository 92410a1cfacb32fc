"""Approval by a second person, driven from two processes as two AWS principals: the default
sandbox caller and the seeded IAM user `approver` (`drctl sandbox env --as approver`)."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot, inbox_messages
from tests.e2e.test_failover_bad_input import playbook_with


def as_user(name: str) -> dict[str, str]:
    # What getpass.getuser() would read: drctl must not believe it.
    return {"LOGNAME": name, "USER": name}


def second_person(cli: Cli) -> dict[str, str]:
    """The environment `eval "$(drctl sandbox env --as approver)"` gives a second shell."""
    result = cli("sandbox", "env", "--as", "approver",
                 env={"DRCTL_STATE_DIR": str(cli.sandbox.state_dir)})
    assert result.returncode == 0, result.stderr
    exports = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1)
                   for line in result.stdout.splitlines())
    assert exports["AWS_ACCESS_KEY_ID"] != "testing"
    return exports


def wait_for_status(cli: Cli, status: str, timeout: float = 180) -> str:
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
    # The run is journaled as waiting before the request reaches SNS and SQS: poll the inbox.
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while not any(f"drctl approve {run_id}" in m for m in seen) and time.monotonic() < deadline:
        seen += inbox_messages(aws, "us-west-2")
        time.sleep(0.5)
    assert any(f"drctl approve {run_id}" in m for m in seen), seen

    # The executor's own credentials, whatever LOGNAME/USER claim, are not a second person.
    own = cli("approve", run_id, env=as_user("bob"))
    assert own.returncode == 4
    assert "started this failover and may not approve it" in own.stderr

    approver = second_person(cli)
    approved = cli("approve", run_id, "--comment", "checked the dashboards", env=approver)
    assert approved.returncode == 0, approved.stderr
    out, err = executor.communicate(timeout=120)
    assert executor.returncode == 0, err
    run = json.loads(out)
    assert run["status"] == "succeeded"
    confirm = run["steps"][1]
    assert confirm["name"] == "confirm"
    by = confirm["output"]["approved_by"]
    assert by["aws"].endswith(":user/approver") and by["principal"].endswith(":user/approver")
    assert "user/approver" in confirm["output"]["confirmed_by"]
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}
    # Approving again is refused: it is no longer waiting.
    assert cli("approve", run_id, env=approver).returncode == 2


def test_rejection_and_timeout_end_as_not_confirmed(make_sandbox, use_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    before = estate_snapshot(aws)

    executor = cli.spawn("failover", "--region", "us-west-2", "--approval",
                         env=as_user("alice"))
    run_id = wait_for_status(cli, "waiting")
    rejected = cli("reject", run_id, "--reason", "not a regional outage",
                   env=second_person(cli))
    assert rejected.returncode == 0, rejected.stderr
    _, err = executor.communicate(timeout=120)
    assert executor.returncode == 3
    assert "rejected by" in err and "user/approver" in err and "not a regional outage" in err
    assert cli.json("runs", "show", run_id)["status"] == "aborted"

    quick = playbook_with(tmp_path, "  timeout: 15m", "  timeout: 2s")
    timed_out = cli("failover", "--region", "us-west-2", "--approval", "--playbook", quick)
    assert timed_out.returncode == 3
    assert "no approval within 2.0s" in timed_out.stderr
    assert estate_snapshot(aws) == before
