"""Driving runbook runs as people would: a second process acknowledges manual steps, a second
person (another OS user with another IAM user's keys) approves; the sandbox is read back."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.core.events import Event
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo
from drctl.store.base import load_run
from drctl.store.sqlite import SqliteStore
from tests.e2e.helpers import Cli


def second_person(sandbox: SandboxInfo) -> dict[str, str]:
    """Environment of a second person: the sandbox's seeded IAM user `approver` (what
    `drctl sandbox env --as approver` exports), a different AWS principal."""
    return manager.env_exports(sandbox, "approver")


def newest_run(cli: Cli) -> Run | None:
    """The newest runbook run, read from the journal itself (the test oracle; quicker than a
    `drctl` process per poll on a busy machine)."""
    path = cli.state_dir / "journal.db"
    if not path.exists():
        return None
    store = SqliteStore(path)
    try:
        ids = store.run_ids("runbook", 1)
        return load_run(store, ids[0]) if ids else None
    finally:
        store.close()


def run_in_journal(cli: Cli, run_id: str) -> Run:
    """A run (a runbook's sub-run too: it shares the state dir) as the journal has it."""
    store = SqliteStore(cli.state_dir / "journal.db")
    try:
        return load_run(store, run_id)
    finally:
        store.close()


def events_of(cli: Cli, run_id: str) -> list[Event]:
    """The run's journal, as written (the test oracle)."""
    store = SqliteStore(cli.state_dir / "journal.db")
    try:
        return store.events(run_id)
    finally:
        store.close()


def waiting_step(run: Run) -> str | None:
    if run.effective_status is not RunStatus.WAITING:
        return None
    running = [s.name for s in run.steps if s.status is StepStatus.RUNNING
               and s.name != "runbook"]
    return running[-1] if running else None


def answer_until_done(cli: Cli, proc: subprocess.Popen[str], approver: dict[str, str],
                      approve_steps: set[str], timeout: float = 240) -> list[str]:
    """Acknowledge manual steps (`drctl runbook ack`) and approve approve steps (`drctl
    approve`, as `approver`) from other processes until `proc` ends; returns what was done."""
    done: list[str] = []
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        assert time.monotonic() < deadline, f"run did not end; answered {done}"
        run = newest_run(cli)
        step = waiting_step(run) if run else None
        if run and step and step not in done:
            if step in approve_steps:
                result = cli("approve", run.run_id, "--comment", "looked fine", env=approver)
            else:
                result = cli("runbook", "ack", run.run_id, "--note", f"did {step}")
            assert result.returncode == 0, result.stderr
            done.append(step)
        time.sleep(0.3)
    return done


def finished(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any], str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, json.loads(out) if out.strip() else {}, err


def announcements(aws: ClientFactory, subject: str) -> list[dict[str, Any]]:
    """SNS messages with `subject` that reached the us-east-1 inbox queue (drained: each call
    sees only what arrived since the last)."""
    sqs = aws.client("sqs", "us-east-1")
    url = sqs.get_queue_url(QueueName="drctl-notifications-inbox")["QueueUrl"]
    found: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in got.get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("Subject") == subject:
                found.append(body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not got.get("Messages"):
            return found
