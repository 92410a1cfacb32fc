"""A playbook's `state:` store is the store of every command run with that `--playbook`: a
drill, a chaos experiment (and its kill switch) and a runbook are journaled there, as a
failover is, not in the local journal of the machine they ran on. One sandbox for the module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import PLAYBOOK, Cli

SHARED = "dynamodb://drctl-playbook-state?region=us-west-2"

RUNBOOK = """---
id: pitr-check
title: PITR is on for the POI table
owner: sre
last_validated: 2026-12-01
---
# PITR check

```drctl
id: check-pitr
title: PITR is enabled
action: aws.assert
service: dynamodb
api: DescribeContinuousBackups
region: us-east-1
args: {TableName: roadtrip-pois}
expect:
  selector: $.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus
  equals: ENABLED
```
"""


@pytest.fixture
def cli(sandbox, tmp_path: Path) -> Cli:
    return Cli(sandbox, tmp_path / "local")  # this machine's own journal


@pytest.fixture
def shared_playbook(tmp_path: Path) -> str:
    path = tmp_path / "team.yaml"
    path.write_text(PLAYBOOK.read_text() + f"\nstate: {SHARED}\n")
    return str(path)


def in_shared_store(cli: Cli, run_id: str) -> dict:
    return cli.json("--state", SHARED, "runs", "show", run_id)


def nothing_local(cli: Cli) -> None:
    assert not (cli.state_dir / "journal.db").exists()  # (`runs list` would create it)
    assert cli.json("runs", "list") == []


def test_a_drill_is_journaled_in_its_playbooks_store(cli: Cli, shared_playbook: str) -> None:
    drilled = cli("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois",
                  "--playbook", shared_playbook, "--json", timeout=300)
    assert drilled.returncode == 0, drilled.stderr
    [run] = json.loads(drilled.stdout)
    shared = in_shared_store(cli, run["run_id"])
    assert (shared["kind"], shared["status"]) == ("drill", "succeeded")
    nothing_local(cli)


def test_chaos_and_its_kill_switch_use_the_playbooks_store(cli: Cli,
                                                           shared_playbook: str) -> None:
    halted = cli.json("chaos", "halt", "--reason", "INC-7: team freeze", "--playbook",
                      shared_playbook)
    assert halted["halted"] is True
    try:
        refused = cli("chaos", "run", "experiments/ecs-task-loss.json", "--playbook",
                      shared_playbook, "--json", timeout=300)
        assert refused.returncode == 4, refused.stderr
        run = json.loads(refused.stdout)
        assert run["verdict"] == "skipped" and "INC-7: team freeze" in run["verdict_reason"]
        assert in_shared_store(cli, run["run_id"])["verdict"] == "skipped"
        nothing_local(cli)
    finally:
        released = cli.json("chaos", "resume", "--playbook", shared_playbook)
    assert released["halted"] is False and "INC-7" in json.dumps(released["released"])


def test_a_runbook_is_journaled_in_its_playbooks_store(cli: Cli, shared_playbook: str,
                                                       tmp_path: Path) -> None:
    runbook = tmp_path / "pitr-check.md"
    runbook.write_text(RUNBOOK)
    ran = cli("runbook", "run", str(runbook), "--playbook", shared_playbook, "--json")
    assert ran.returncode == 0, ran.stderr
    run = json.loads(ran.stdout)
    assert in_shared_store(cli, run["run_id"])["status"] == "succeeded"
    nothing_local(cli)
