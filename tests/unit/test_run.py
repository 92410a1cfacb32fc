"""Run.effective_status (drctl/core/run.py) and StepContext.wait_until (drctl/core/step.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from drctl.core.clock import FakeClock
from drctl.core.errors import StepFailed
from drctl.core.events import Event
from drctl.core.identity import Identity
from drctl.core.run import Run, RunStatus, StepStatus, judge_liveness
from drctl.core.step import StepContext
from tests.unit.helpers import T0


def dead_pid() -> int:
    """The pid of a process that has finished and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def run_owned_by(pid: int, host: str, *later: str) -> Run:
    events = [Event("fo-1", "run_started", T0,
                    data={"kind": "failover", "user": "sre", "host": host, "pid": pid})]
    events += [Event("fo-1", type_, T0, data={"reason": "waiting for approval"})
               for type_ in later]
    return judge_liveness(Run.from_events(events), Identity.of_this_process(), None, T0)


# --- effective_status ------------------------------------------------------------------------


def test_a_running_run_whose_process_died_is_interrupted() -> None:
    run = run_owned_by(dead_pid(), socket.gethostname())

    assert run.status is RunStatus.RUNNING
    assert run.live is False and run.live_by == "pid"
    assert run.effective_status is RunStatus.INTERRUPTED
    assert run.to_dict()["status"] == "interrupted"


def test_a_run_whose_process_is_an_unreaped_zombie_is_interrupted() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while _state(child.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(child.pid) == "Z", "the child did not exit in time"

        run = run_owned_by(child.pid, socket.gethostname())

        assert run.effective_status is RunStatus.INTERRUPTED
    finally:
        child.wait()


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0]


def test_a_waiting_run_whose_process_died_is_interrupted() -> None:
    run = run_owned_by(dead_pid(), socket.gethostname(), "run_waiting")

    assert run.status is RunStatus.WAITING
    assert run.effective_status is RunStatus.INTERRUPTED


def test_a_running_run_whose_process_lives_is_running() -> None:
    run = run_owned_by(os.getpid(), socket.gethostname())

    assert run.effective_status is RunStatus.RUNNING


def test_a_run_owned_by_another_host_is_not_judged_from_here() -> None:
    run = run_owned_by(dead_pid(), socket.gethostname() + "-elsewhere")

    assert run.effective_status is RunStatus.RUNNING


def test_a_finished_run_keeps_its_status_when_its_process_is_gone() -> None:
    events = [
        Event("fo-1", "run_started", T0,
              data={"kind": "failover", "host": socket.gethostname(), "pid": dead_pid()}),
        Event("fo-1", "run_finished", T0, data={"status": "succeeded"}),
    ]

    assert Run.from_events(events).effective_status is RunStatus.SUCCEEDED


def test_a_journal_must_start_with_run_started() -> None:
    with pytest.raises(ValueError, match="run_started"):
        Run.from_events([Event("fo-1", "step_started", T0, "detect")])


# --- StepContext.wait_until ------------------------------------------------------------------


class Countdown:
    """A check that turns true on its `true_on`-th call."""

    def __init__(self, true_on: int) -> None:
        self.true_on = true_on
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.calls >= self.true_on


def test_wait_until_returns_the_seconds_waited(clock: FakeClock) -> None:
    ctx = StepContext("fo-1", clock)
    check = Countdown(true_on=4)

    waited = ctx.wait_until(check, timeout=60, interval=2.5, what="ECS to stabilise")

    assert waited == 7.5
    assert check.calls == 4
    assert clock.slept == [2.5, 2.5, 2.5]
    assert (clock.now() - T0).total_seconds() == 7.5


def test_wait_until_does_not_sleep_when_already_true(clock: FakeClock) -> None:
    ctx = StepContext("fo-1", clock)

    assert ctx.wait_until(lambda: True, timeout=60, interval=5, what="DNS") == 0.0
    assert clock.slept == []


def test_wait_until_raises_step_failed_on_timeout(clock: FakeClock) -> None:
    ctx = StepContext("fo-1", clock)
    never = Countdown(true_on=10**6)

    with pytest.raises(StepFailed, match=r"timed out after 10s waiting for Route53 INSYNC"):
        ctx.wait_until(never, timeout=10, interval=2, what="Route53 INSYNC")

    # It kept asking until the deadline, and not much longer.
    assert never.calls == 6
    assert sum(clock.slept) == 10


def test_wait_until_reports_progress_about_every_five_seconds(clock: FakeClock) -> None:
    reports: list[str] = []
    ctx = StepContext("fo-1", clock, report=reports.append)

    ctx.wait_until(Countdown(true_on=7), timeout=60, interval=2, what="the smoke test")

    assert reports == [
        "waiting for the smoke test (0s)",
        "waiting for the smoke test (6s)",
    ]


# --- step times across a resume ----------------------------------------------------------------


def test_a_step_started_again_after_a_resume_is_timed_from_that_attempt() -> None:
    """Seen in the runbook trial: a 20 s sleep Ctrl-C'd after 5 s and resumed a minute later
    showed 31 s in `runs show` and was named the slowest step; the stopped minute is not the
    step's. Retries inside one process still count from the first attempt."""
    at = [T0 + timedelta(seconds=s) for s in (0, 5, 60, 61, 81)]
    events = [Event("ru-1", "run_started", at[0], data={"kind": "runbook"}),
              Event("ru-1", "step_started", at[0], step="nap", data={"attempt": 1}),
              Event("ru-1", "run_interrupted", at[1], data={"reason": "Ctrl-C"}),
              Event("ru-1", "run_resumed", at[2]),
              Event("ru-1", "step_started", at[3], step="nap", data={"attempt": 1}),
              Event("ru-1", "step_started", at[3] + timedelta(seconds=2), step="nap",
                    data={"attempt": 2}),
              Event("ru-1", "step_succeeded", at[4], step="nap")]

    (nap,) = Run.from_events(events).steps

    assert nap.started_at == at[3]
    assert nap.ended_at == at[4]


def test_a_run_ended_after_an_interruption_leaves_no_step_running() -> None:
    """Seen in the runbook trial: Ctrl-C in a step, then `runs abort`: `runs show` said the
    run was aborted and its step still `running`. While only interrupted, the step stays
    running (a resume reads that as "outcome unknown" and verifies before applying)."""
    at = [T0 + timedelta(seconds=s) for s in (0, 5, 60)]
    events = [Event("ru-1", "run_started", at[0], data={"kind": "runbook"}),
              Event("ru-1", "step_started", at[0], step="nap", data={"attempt": 1}),
              Event("ru-1", "run_interrupted", at[1], data={"reason": "Ctrl-C"})]
    assert Run.from_events(events).steps[0].status is StepStatus.RUNNING

    events.append(Event("ru-1", "run_finished", at[2],
                        data={"status": "aborted", "error": "not resuming"}))
    (nap,) = Run.from_events(events).steps

    assert nap.status is StepStatus.FAILED and nap.ended_at == at[2]
    assert nap.error == "the run ended aborted while it ran"
