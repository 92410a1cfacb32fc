"""Runs hosted on a worker thread, as a long-lived process hosts them: built from the composition
root (drctl/app.py, not the CLI), stopped through the interruption port with no signal at all,
and ending as Ctrl-C ends them (a drill cleans up; a failover is left interrupted, resumable)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drctl.app import DEFAULT_PLAYBOOK, App
from drctl.aws.clients import ClientFactory
from drctl.core.events import Event
from drctl.core.operator import ScriptedOperator
from drctl.core.run import RunStatus
from drctl.drill.db_check import run_command
from drctl.drill.runner import DrillOutcome, preflight_drills, run_drills
from drctl.drill.spec import DrillDeps, DrillOptions, select_drills
from drctl.failover.approval import Person, decide
from drctl.failover.runner import resume_failover, run_failover
from drctl.failover.spec import FailoverDeps, FailoverOptions
from drctl.notify.channels import build_channels
from drctl.playbook.loader import load_playbook
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo
from drctl.store.base import load_run
from tests.e2e.helpers import estate_snapshot
from tests.e2e.test_drill import drill_resources

pytestmark = pytest.mark.e2e


class Worker(threading.Thread):
    """Runs `work` on its own thread and keeps what it returned or raised."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(name="drctl-worker", daemon=True)
        self._work = work
        self.result: Any = None
        self.raised: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._work()
        except BaseException as exc:  # what the host would log
            self.raised = exc


def wait_for(events: list[Event], predicate: Callable[[Event], bool], timeout: float = 90
             ) -> Event:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = next((e for e in list(events) if predicate(e)), None)
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no such event in {[e.type for e in events]}")


def test_a_drill_on_a_worker_thread_stopped_through_the_port_cleans_up(
    sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path
) -> None:
    manager.set_faults(sandbox.state_dir, latency_ms=300)  # a drill long enough to stop
    try:
        app = App(tmp_path / "state")
        specs = select_drills(load_playbook(DEFAULT_PLAYBOOK),
                              DrillOptions("dynamodb:roadtrip-pois", "pitr", None, None))
        deps = DrillDeps(app.aws, app.clock, run_command)
        ready, refused = preflight_drills(specs, deps)
        assert refused == []
        events: list[Event] = []
        worker = Worker(lambda: run_drills(ready, deps, app.engine([events.append])))
        worker.start()
        wait_for(events, lambda e: e.type == "step_started" and e.step == "restore")

        app.interrupt.request_stop("controller shutdown")
        worker.join(180)
    finally:
        manager.clear_faults(sandbox.state_dir)

    assert not worker.is_alive() and worker.raised is None
    outcome: DrillOutcome = worker.result
    assert outcome.error() is not None and outcome.error().exit_code == 3  # type: ignore[union-attr]
    run = load_run(app.store, outcome.runs[0].run_id)
    assert run.status is RunStatus.ABORTED
    assert run.error == "interrupted (controller shutdown); cleaned up"
    assert run.step("cleanup").status.value == "succeeded"
    assert drill_resources(aws) == []


def failover_deps(app: App) -> FailoverDeps:
    book = load_playbook(DEFAULT_PLAYBOOK)
    env = dict(os.environ)
    return FailoverDeps(
        aws=app.aws, clock=app.clock, operator=ScriptedOperator(interactive=False),
        channels=lambda target: build_channels(book.notify, app.aws, target, env,
                                               console=lambda _text: None))


def test_a_failover_on_a_worker_thread_stops_through_the_port_and_resumes_to_completion(
    make_sandbox: Callable[..., SandboxInfo], use_sandbox: Callable[[SandboxInfo], ClientFactory],
    tmp_path: Path,
) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    manager.outage(sandbox.state_dir, "us-east-1")
    book = load_playbook(DEFAULT_PLAYBOOK)

    # Waiting for a second person's approval: a controller shutting down stops it.
    first = App(tmp_path / "state")
    events: list[Event] = []
    worker = Worker(lambda: run_failover(book, DEFAULT_PLAYBOOK, "us-west-2",
                                         failover_deps(first), first.engine([events.append]),
                                         FailoverOptions(approval=True)))
    worker.start()
    waiting = wait_for(events, lambda e: e.type == "run_waiting")
    stopped_at = time.monotonic()
    first.interrupt.request_stop("controller shutdown")
    worker.join(60)
    assert not worker.is_alive() and time.monotonic() - stopped_at < 10
    assert isinstance(worker.raised, KeyboardInterrupt)
    run = load_run(first.store, waiting.run_id)
    assert (run.status, run.error) == (RunStatus.INTERRUPTED,
                                       "interrupted (controller shutdown)")
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 100, "us-west-2": 0}

    # Another host process (a new App) resumes it on a worker thread; it asks for approval
    # again, a second person gives it, and it runs to the end.
    second = App(tmp_path / "state")
    again: list[Event] = []
    resumed = Worker(lambda: resume_failover(
        waiting.run_id, failover_deps(second), second.engine([again.append]),
        FailoverOptions(), load_playbook))
    resumed.start()
    wait_for(again, lambda e: e.type == "run_waiting")
    approver = Person("sre", "arn:aws:iam::123456789012:user/approver")
    decide(App(tmp_path / "state").engine([]), waiting.run_id, approver, approve=True,
           reason="checked", allow_self=False)
    resumed.join(300)
    assert not resumed.is_alive() and resumed.raised is None, resumed.raised
    assert resumed.result.status is RunStatus.SUCCEEDED
    assert resumed.result.measurement.get("rto_seconds") is not None
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}
