"""The controller's alarm watch against a live sandbox: an outage opens one failover that
waits for approval, with its detection latency journaled; `drctl approve` from another process
lets it complete with a true RTO and RPO."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from drctl.core.clock import parse_iso
from drctl.core.run import Run, RunStatus
from drctl.sandbox import manager
from drctl.store.base import list_runs
from drctl.store.sqlite import SqliteStore
from tests.e2e.helpers import (
    PLAYBOOK,
    Cli,
    inbox_messages,
    wait_for_replicated_heartbeat,
    wait_until,
)
from tests.e2e.runbook_helpers import second_person
from tests.e2e.test_controller_ha import free_port, health

pytestmark = pytest.mark.e2e
LAG = 3.0


def watch_playbook(tmp_path: Path) -> Path:
    # Polling once a minute: a failover opened within seconds was woken by the alarm event.
    return controller_playbook(tmp_path / "watch.yaml", poll="60s", detection=(
        "  topic: drctl-detection-alarms\n  failover: {when: any, for: 2s}\n"))


def controller_playbook(path: Path, poll: str, detection: str) -> Path:
    """roadtrip.yaml without its schedules, polling every `poll`, its detection topic line
    replaced by `detection`, and a failover that waits for approval."""
    text = PLAYBOOK.read_text(encoding="utf-8")
    start, end = text.index("schedules:\n"), text.index("# Restore drills")
    text = text[:start] + f"controller: {{poll_interval: {poll}}}\n\n" + text[end:]
    text = text.replace("  topic: drctl-detection-alarms\n", detection)
    text = text.replace("  mode: prompt ", "  mode: approval ")
    path.write_text(text, encoding="utf-8")
    return path


def failovers(cli: Cli) -> list[Run]:
    store = SqliteStore(cli.state_dir / "journal.db")
    try:
        return list_runs(store, "failover")
    finally:
        store.close()


def waiting_then_stopped(cli: Cli, controller: subprocess.Popen[str], timeout: float
                         ) -> tuple[Run, str]:
    """The failover the controller opens, once it waits for its approval; then SIGTERM, and
    the controller must stop cleanly (exit 0). The run as it waited, and the controller's log."""
    try:
        (run,) = wait_until(lambda: [r for r in failovers(cli)
                                     if r.status is RunStatus.WAITING], timeout,
                            "a waiting failover")
    finally:
        controller.send_signal(signal.SIGTERM)
        _, stderr = controller.communicate(timeout=timeout)
    assert controller.returncode == 0, stderr[-2000:]
    return run, stderr


def test_an_outage_opens_one_failover_that_waits_for_approval_then_completes(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=LAG)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=LAG + 10)
    inbox_messages(aws, "us-west-2")  # drain what was seeded
    port = free_port()
    controller = cli.spawn("controller", "--playbook", str(watch_playbook(tmp_path)),
                           "--listen", str(port))
    try:
        # The RPO canary's live gauge reads the replicated heartbeat: the injected lag, give or
        # take a beat of the writer and one of the canary.
        lags = wait_until(lambda: health(port).get("replication_lag"), 60, "a lag reading")
        assert lags[0]["from"] == "us-east-1" and lags[0]["to"] == "us-west-2"
        assert LAG - 0.5 <= lags[0]["seconds"] <= LAG + 2.5, lags
        manager.outage(sandbox.state_dir, "us-east-1")
        outage_start = parse_iso(
            manager.ground_truth(sandbox.state_dir)["outages"]["us-east-1"]["started_at"])
        waiting = wait_until(lambda: [r for r in failovers(cli)
                                      if r.status is RunStatus.WAITING], 60, "a waiting failover")
        (run,) = waiting
        detection = run.params["detection"]
        transition = parse_iso(detection["alarm_transition_at"])
        assert abs((transition - outage_start).total_seconds()) <= 1.0
        met = parse_iso(detection["criteria_met_at"])
        assert (met - transition).total_seconds() == pytest.approx(2.0, abs=0.01)
        opened = parse_iso(detection["opened_at"])
        assert detection["latency_seconds"] == pytest.approx(
            (opened - met).total_seconds(), abs=0.01)
        assert detection["latency_seconds"] >= 0 and opened <= run.started_at
        assert (opened - transition).total_seconds() < 30  # the event, not the 60 s poll
        seen: list[str] = []

        def told() -> bool:  # every channel: the SNS topic's inbox here
            seen.extend(inbox_messages(aws, "us-west-2"))
            return any(f"drctl approve {run.run_id}" in m for m in seen)

        wait_until(told, 30, "the approval notification with the exact command")

        approved = cli("approve", run.run_id, "--comment", "the region is down")
        assert approved.returncode == 0, approved.stderr
        done = wait_until(lambda: [r for r in failovers(cli) if r.status.finished], 120,
                          "the failover to finish")
        result = done[0].to_dict()
        assert result["status"] == "succeeded", result.get("error")
        assert len(failovers(cli)) == 1  # one incident, one run
        assert abs(result["rpo_seconds"] - LAG) <= 2.0, result["rpo_detail"]
        incident = parse_iso(result["incident_start"])
        assert abs((incident - outage_start).total_seconds()) <= 1.0
        assert result["rto_seconds"] == pytest.approx(
            (parse_iso(result["recovered_at"]) - incident).total_seconds(), abs=0.01)
    finally:
        controller.send_signal(signal.SIGTERM)
        _, stderr = controller.communicate(timeout=60)
    assert controller.returncode == 0, stderr[-2000:]
    assert '"event": "alarm_event"' in stderr


def test_a_failover_stopped_by_sigterm_is_interrupted_and_the_logged_resume_completes_it(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    """At 3am the controller's log is what on-call reads: the line that says its failover was
    interrupted names the command that resumes it, and that command works."""
    sandbox = make_sandbox(lag=LAG)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    wait_for_replicated_heartbeat(aws, timeout=LAG + 10)
    controller = cli.spawn("controller", "--playbook", str(watch_playbook(tmp_path)))
    manager.outage(sandbox.state_dir, "us-east-1")
    run, stderr = waiting_then_stopped(cli, controller, 60)
    assert [r.status for r in failovers(cli)] == [RunStatus.INTERRUPTED]
    (line,) = [json.loads(row) for row in stderr.splitlines()
               if '"event": "failover_interrupted"' in row]
    assert line["resume"] == [f"drctl failover --resume {run.run_id}"]
    resumed = cli.spawn(*shlex.split(line["resume"][0])[1:])
    try:
        wait_until(lambda: [r for r in failovers(cli) if r.status is RunStatus.WAITING], 60,
                   "the resumed failover to wait for its approval")
        approved = cli("approve", run.run_id, env=second_person(sandbox))
        assert approved.returncode == 0, approved.stderr
        resumed.communicate(timeout=120)
    finally:
        if resumed.poll() is None:
            resumed.kill()
            resumed.communicate(timeout=30)
    assert resumed.returncode == 0
    assert [r.status for r in failovers(cli)] == [RunStatus.SUCCEEDED]
