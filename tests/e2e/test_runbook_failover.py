"""runbooks/region-failover.md then runbooks/failback.md against one sandbox: the human checks
around `drctl failover`, answered from other processes, the failover a recorded sub-run."""

from __future__ import annotations

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import Cli, estate_snapshot, wait_for_replicated_heartbeat
from tests.e2e.runbook_helpers import answer_until_done, finished, second_person

pytestmark = pytest.mark.sandbox(lag=2.0)


def run_runbook(cli: Cli, path: str, *params: str) -> dict[str, object]:
    args = [arg for param in params for arg in ("--param", param)]
    proc = cli.spawn("runbook", "run", path, *args, "--json")
    done = answer_until_done(cli, proc, second_person(cli.sandbox), {"go-ahead"},
                             timeout=420)
    code, result, err = finished(proc)
    assert code == 0, err
    assert "go-ahead" in done
    return result


def sub_run(cli: Cli, result: dict[str, object], step: str) -> dict[str, object]:
    steps = {s["name"]: s for s in result["steps"]}  # type: ignore[attr-defined]
    run_id = steps[step]["output"]["run_id"]
    return cli.json("runs", "show", run_id)  # type: ignore[no-any-return]


def test_region_failover_by_runbook(sandbox: SandboxInfo, aws: ClientFactory,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    cli = Cli(sandbox, tmp_path_factory.mktemp("failover") / "state")
    wait_for_replicated_heartbeat(aws, timeout=30)
    manager.outage(sandbox.state_dir, "us-east-1")
    over = run_runbook(cli, "runbooks/region-failover.md",
                       f"target_endpoint={cli.env()['ROADTRIP_API_US_WEST_2']}")
    assert over["status"] == "succeeded"
    failover = sub_run(cli, over, "failover")
    assert failover["kind"] == "failover" and failover["status"] == "succeeded"
    assert failover["rto_seconds"] is not None and failover["rpo_seconds"] is not None
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}
    timeline = cli("runbook", "timeline", str(over["run_id"]), "-f", "md").stdout
    assert f"sub-run {failover['run_id']} (failover) succeeded" in timeline


def test_failback_by_runbook(sandbox: SandboxInfo, aws: ClientFactory,
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """After the failover above (same module sandbox): us-east-1 is back, fail back to it."""
    if estate_snapshot(aws)["weights"] != {"us-east-1": 0, "us-west-2": 100}:
        pytest.fail("needs test_region_failover_by_runbook to have failed over first")
    cli = Cli(sandbox, tmp_path_factory.mktemp("failback") / "state")
    manager.restore(sandbox.state_dir, "us-east-1")
    back = run_runbook(cli, "runbooks/failback.md",
                       f"primary_endpoint={cli.env()['ROADTRIP_API_US_EAST_1']}")
    assert back["status"] == "succeeded"
    assert sub_run(cli, back, "failback")["status"] == "succeeded"
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 100, "us-west-2": 0}
