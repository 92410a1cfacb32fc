"""A step's `timeout` bounds every kind of step (an AWS call, an HTTP check, a sleep, a child
process, a person's wait, and the retries of any of them), and durations may come from params:
checked before the run starts when they read params alone, when their step runs otherwise."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drctl.core.clock import SystemClock
from drctl.core.errors import InvalidInput, NotConfirmed, StepFailed
from drctl.core.operator import ScriptedOperator
from drctl.core.run import RunStatus
from drctl.runbook.ack import acknowledge
from drctl.runbook.actions.human import DEFAULT_MANUAL_TIMEOUT
from drctl.runbook.runner import resume_runbook
from drctl.store.base import Store, load_run
from tests.unit.test_runbook_runner import OTHER, Host, append, runbook_file


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers (a hung endpoint)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def failed_within(host: Host, path: Path, seconds: float, **params: str) -> str:
    started = time.monotonic()
    with pytest.raises(StepFailed) as raised:
        host.start(path, params)
    took = time.monotonic() - started
    assert took < seconds, f"the step ran {took:.1f}s"
    assert load_run(host.store, host.run_id()).status is RunStatus.FAILED
    return str(raised.value)


def test_an_aws_call_that_never_answers_fails_at_the_steps_timeout(
        tmp_path: Path, silent_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    host = Host(tmp_path, clock=SystemClock())
    path = runbook_file(tmp_path, "id: scale\naction: aws.call\nservice: ecs\n"
                        "api: UpdateService\nregion: us-east-1\ntimeout: 1s\n"
                        "args: {cluster: c, service: s, desiredCount: 2}")
    # botocore alone would wait 30 s per attempt, 8 attempts
    error = failed_within(host, path, 15)
    assert "no answer within the step's timeout (1s)" in error
    assert "may still take effect" in error
    # It may have happened: a resume asks rather than calling again (exit 3 without a person).
    with pytest.raises(NotConfirmed, match="scale"):
        resume_runbook(host.run_id(), host.deps, host.engine())


def test_an_http_check_that_never_answers_fails_at_the_steps_timeout(
        tmp_path: Path, silent_server: str) -> None:
    host = Host(tmp_path, clock=SystemClock())
    path = runbook_file(tmp_path, f"id: health\naction: http\nurl: {silent_server}/health\n"
                        "timeout: 1s")
    # "no answer within the step's timeout (1s)", or on a loaded machine "... ran out" before
    # the request was even sent: either way the step's timeout, not httpx's own
    assert "the step's timeout (1s)" in failed_within(host, path, 15)


def test_a_sleep_longer_than_its_timeout_fails_when_the_timeout_runs_out(tmp_path: Path
                                                                          ) -> None:
    host = Host(tmp_path)  # a fake clock: nothing really sleeps
    path = runbook_file(tmp_path, "id: nap\naction: sleep\nduration: 10m\ntimeout: 1m")
    with pytest.raises(StepFailed, match=r"the step's timeout \(1m00s\) ran out"):
        host.start(path)
    assert 59 <= sum(host.clock.slept) <= 61


def test_retries_stay_within_the_steps_timeout(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, "id: flaky\naction: shell\ncommand: ['false']\n"
                        "retry: {attempts: 5, delay: 10s}\ntimeout: 15s")
    with pytest.raises(StepFailed, match="no time for attempt 3 of 5 within the step's "
                                         "timeout 15s"):
        host.start(path)
    assert host.clock.slept == [10.0]


def test_a_child_process_is_stopped_at_the_steps_timeout(tmp_path: Path) -> None:
    host = Host(tmp_path, clock=SystemClock())
    path = runbook_file(tmp_path, "id: slow\naction: shell\ncommand: [sleep, '30']\n"
                        "timeout: 1s")
    error = failed_within(host, path, 15)
    assert "did not finish within the step's timeout (1s) (stopped)" in error


def test_durations_from_params(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, "id: nap\naction: sleep\nduration: '{{ params.n }}s'\n"
                        "timeout: '{{ params.n * 10 }}'",
                        "id: ask\naction: manual\ntimeout: '{{ params.n }}m'")
    with pytest.raises(NotConfirmed, match="not acknowledged within 2m"):
        host.start(path)  # nobody at a terminal: the wait is bounded by the templated 2m
    assert host.clock.slept[:2] == [1.0, 1.0]  # the nap: 2 s, in naps of at most 1 s


def test_a_bad_duration_from_a_param_is_refused_before_anything_runs(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, "id: nap\naction: sleep\nduration: 1s",
                        "id: later\naction: sleep\nduration: '{{ params.flag }}'",
                        front="  wait: {type: string, default: 1s}\n")
    with pytest.raises(InvalidInput, match=r"step later: duration .* rendered False: not a "
                                           r"duration"):
        host.start(path)
    assert host.store.run_ids("runbook") == []  # nothing ran


def test_a_bad_duration_from_an_output_fails_its_step(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, "id: say\naction: shell\ncommand: [echo, soon]\n"
                        "outputs: {wait: $.stdout}",
                        "id: nap\naction: sleep\nduration: '{{ steps.say.outputs.wait }}'")
    with pytest.raises(InvalidInput, match="step nap: duration rendered 'soon\\\\n'"):
        host.start(path)
    assert load_run(host.store, host.run_id()).step("say").status.name == "SUCCEEDED"


def test_a_manual_step_at_a_terminal_times_out_as_it_declares(tmp_path: Path) -> None:
    host = Host(tmp_path, tty=[None])  # a person at a terminal who never answers
    path = runbook_file(tmp_path, "id: look\naction: manual\ntimeout: 45s",
                        f"id: after\n{append(host.log, 'after')}")
    with pytest.raises(NotConfirmed, match="step look was not acknowledged within 45s"):
        host.start(path)
    assert host.operator.bounds == [45.0]  # the terminal's wait is the step's timeout
    assert "waits up to 45s" in host.operator.prompts[0]
    run = load_run(host.store, host.run_id())
    assert run.status is RunStatus.ABORTED and host.effects() == []


def test_a_manual_step_at_a_terminal_without_a_timeout_waits_the_default(
        tmp_path: Path) -> None:
    host = Host(tmp_path, tty=[None])
    with pytest.raises(NotConfirmed, match="not acknowledged within 4h"):
        host.start(runbook_file(tmp_path, "id: look\naction: manual"))
    assert host.operator.bounds == [DEFAULT_MANUAL_TIMEOUT]


class AckedFromAnotherShell(ScriptedOperator):
    """While the terminal's question waits, someone runs `drctl runbook ack` elsewhere."""

    def __init__(self, store: Store) -> None:
        super().__init__([], interactive=True)
        self.store = store

    def ask_within(self, prompt: str, timeout: float, stop: Callable[[], bool]) -> str | None:
        [run_id] = self.store.run_ids("runbook")
        acknowledge(self.store, SystemClock(), run_id, OTHER, "done from my laptop")
        return super().ask_within(prompt, timeout, stop)


def test_a_manual_step_at_a_terminal_is_answered_by_an_ack_from_another_shell(
        tmp_path: Path) -> None:
    host = Host(tmp_path)
    host.deps.operator = AckedFromAnotherShell(host.store)
    run = host.start(runbook_file(tmp_path, "id: look\naction: manual",
                                  f"id: after\n{append(host.log, 'after')}"))
    assert run.status is RunStatus.SUCCEEDED and host.effects() == ["after"]
    assert run.step("look").output["via"] == "drctl runbook ack"
    assert run.step("look").output["note"] == "done from my laptop"
