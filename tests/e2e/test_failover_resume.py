"""Crashes, resumes and races: the failover keeps its promise when its process dies or when
two operators start it at once."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from drctl.core.clock import parse_iso
from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot, inbox_messages, wait_for_replicated_heartbeat

STEPS = ["detect", "confirm", "switch_dns", "scale_secondary", "smoke_test", "notify"]
AFTER_FAILOVER = {
    "weights": {"us-east-1": 0, "us-west-2": 100},
    "ecs:us-east-1": {"api": 6, "voice": 3, "poi-sync": 2},
    "ecs:us-west-2": {"api": 6, "voice": 3, "poi-sync": 2},
    "asg:us-east-1": 4,
    "asg:us-west-2": 4,
    "replica_source": None,
}
# What the failover changes, as the journal must record it whatever the crash (issue 8 item 22).
CHANGES = {
    ("switch_dns", "api.roadcopilot.com [us-east-1]"): (100, 0),
    ("switch_dns", "api.roadcopilot.com [us-west-2]"): (0, 100),
    ("scale_secondary", "roadtrip/api"): (1, 6),
    ("scale_secondary", "roadtrip/voice"): (1, 3),
    ("scale_secondary", "roadtrip/poi-sync"): (1, 2),
    ("scale_secondary", "roadtrip-workers"): (1, 4),
    ("scale_secondary", "roadtrip-db-replica"): ("replica", "standalone"),
}
CRASH_POINTS = [f"step_succeeded:{step}" for step in STEPS] + [
    "step_started:switch_dns",
    "step_progress:scale_secondary:applied",  # some scaling actions done, others maybe not
    "step_started:smoke_test",
    "step_started:notify",
]


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_sigkill_at_each_boundary_then_resume(
    crash_at: str, make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=15)
    inbox_messages(aws, "us-west-2")
    manager.outage(sandbox.state_dir, "us-east-1")
    outage = manager.ground_truth(sandbox.state_dir)["outages"]["us-east-1"]["started_at"]

    crashed = cli("failover", "--region", "us-west-2", "--yes",
                  env={"DRCTL_CRASH_AT": crash_at})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    [listed] = cli.json("runs", "list")
    assert listed["status"] == "interrupted"
    run_id = listed["run_id"]
    # Killed, it could not write advice as it died: a run that had changed something carries
    # the advice journaled when it changed it, and its resume command (issue 8 item 22).
    killed = cli.json("runs", "show", run_id)
    assert bool(killed.get("recovery")) == bool(killed["changes"]), killed
    if killed["changes"]:
        assert f"drctl failover --resume {run_id}" in killed["recovery"]["resume"]

    # A new failover is refused while that one is unfinished, naming it and the ways out.
    again = cli("failover", "--region", "us-west-2", "--yes")
    assert again.returncode == 4, again.stderr
    assert run_id in again.stderr and "interrupted" in again.stderr
    assert f"--resume {run_id}" in again.stderr and f"runs abort {run_id}" in again.stderr

    resumed = cli("failover", "--resume", run_id, "--json")
    assert resumed.returncode == 0, resumed.stderr
    run = json.loads(resumed.stdout)

    assert run["run_id"] == run_id and run["status"] == "succeeded"
    assert "recovery" not in run  # a run that ended well needs no way out
    assert [(s["name"], s["status"]) for s in run["steps"]] == [(s, "succeeded") for s in STEPS]
    assert [r["run_id"] for r in cli.json("runs", "list")] == [run_id]
    assert estate_snapshot(aws) == AFTER_FAILOVER
    # Every change is on record once, with its counts before and after, across the crash: a
    # change in flight when the process died stays `started` (its outcome was not journaled).
    assert {(c["step"], c["target"]): (c["before"], c["after"])
            for c in run["changes"]} == CHANGES
    assert len(run["changes"]) == len(CHANGES)
    in_flight = [c for c in run["changes"] if c["status"] != "applied"]
    assert in_flight == [] or crash_at == "step_progress:scale_secondary:applied"
    # RTO still runs from the original incident start, across the crash.
    incident = parse_iso(run["incident_start"])
    assert abs((incident - parse_iso(outage)).total_seconds()) <= 1.0
    recovered = parse_iso(run["recovered_at"])
    assert run["rto_seconds"] == pytest.approx((recovered - incident).total_seconds(), abs=0.01)
    assert abs(run["rpo_seconds"] - 2.0) <= 2.0
    # Notified exactly once, whichever side of `notify` the crash fell.
    assert sum(run_id in body for body in inbox_messages(aws, "us-west-2")) == 1


def test_concurrent_failovers_make_exactly_one_run(make_sandbox, use_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")

    procs = [cli.spawn("failover", "--region", "us-west-2", "--yes") for _ in range(6)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()

    codes = sorted(code for code, _ in results)
    assert codes.count(0) == 1, results
    # The losers were blocked by the lock (4) or, arriving after the winner finished, found
    # the target already active (2).
    assert set(codes[1:]) <= {2, 4}, results
    runs = cli.json("runs", "list")
    assert len(runs) == 1 and runs[0]["status"] == "succeeded"
    assert estate_snapshot(aws) == AFTER_FAILOVER


def test_abort_ends_an_interrupted_run_and_frees_the_playbook(
    make_sandbox, use_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    crashed = cli("failover", "--region", "us-west-2", "--yes",
                  env={"DRCTL_CRASH_AT": "step_succeeded:confirm"})
    assert crashed.returncode == -signal.SIGKILL
    run_id = cli.json("runs", "list")[0]["run_id"]

    no_reason = cli("runs", "abort", run_id)
    assert no_reason.returncode == 2
    aborted = cli.json("runs", "abort", run_id, "--reason", "operator took over by hand")
    assert aborted["status"] == "aborted"
    assert "operator took over by hand" in aborted["error"]
    assert cli("runs", "abort", run_id, "--reason", "again").returncode == 2
    assert cli("failover", "--resume", run_id).returncode == 2

    fresh = cli("failover", "--region", "us-west-2", "--yes")
    assert fresh.returncode == 0, fresh.stderr
