"""The runbook runner on the engine, with the in-package store and local processes only:
ordering, skip_if, retry, on_failure, typed params, manual/approve, resume and measures."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.core.clock import FakeClock, SystemClock
from drctl.core.engine import Engine, Subscriber
from drctl.core.errors import Blocked, DrctlError, InvalidInput, NotConfirmed
from drctl.core.events import Event
from drctl.core.operator import ScriptedOperator
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.failover.approval import Person, decide
from drctl.notify.base import MemoryChannel
from drctl.runbook.ack import acknowledge
from drctl.runbook.actions.aws import AwsCall
from drctl.runbook.load import load_runbook
from drctl.runbook.runner import RunbookDeps, resume_runbook, start_runbook
from drctl.runbook.sequence import render_step
from drctl.runbook.templates import Templates
from drctl.store.base import Store, load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0

ME = Person("alice", "arn:aws:iam::1:user/alice")
OTHER = Person("bob", "arn:aws:iam::1:user/bob")


def runbook_file(tmp_path: Path, *blocks: str, front: str = "") -> Path:
    text = ("---\nid: t\ntitle: T\nallow_shell: true\nparams:\n  n: {type: integer, "
            f"default: 2}}\n  flag: {{type: boolean, default: false}}\n{front}---\nIntro.\n")
    for block in blocks:
        text += f"\nDo this.\n\n```drctl\n{block.strip()}\n```\n"
    path = tmp_path / "t.md"
    path.write_text(text)
    return path


def append(log: Path, word: str) -> str:
    """A shell step whose side effect the test counts: one line per run of it."""
    return f"action: shell\ncommand: [sh, -c, 'echo {word} >> {log}']"


class Host:
    def __init__(self, tmp_path: Path, clock: Any = None, tty: list[str] | None = None) -> None:
        self.store: Store = MemoryStore()
        self.clock = clock or FakeClock(T0)
        self.channel = MemoryChannel()
        self.operator = ScriptedOperator(tty or [], interactive=tty is not None)
        self.deps = RunbookDeps(aws=Aws(ClientFactory()), operator=self.operator,
                                channels=lambda runbook: [self.channel], person=lambda: ME)
        self.log = tmp_path / "effects.log"

    def engine(self, *subscribers: Subscriber) -> Engine:
        return Engine(self.store, self.clock, list(subscribers))

    def start(self, path: Path, params: dict[str, Any] | None = None,
              *subscribers: Subscriber) -> Run:
        return start_runbook(load_runbook(path), params or {}, self.deps, self.engine(*subscribers))

    def effects(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def run_id(self) -> str:
        [run_id] = self.store.run_ids("runbook")
        return run_id


def test_a_value_that_is_one_template_keeps_its_type() -> None:
    step = AwsCall.model_validate({
        "id": "s", "action": "aws.call", "service": "ecs", "api": "UpdateService",
        "region": "{{ params.r }}", "args": {"desiredCount": "{{ params.n }}",
                                              "note": "n={{ params.n }}"}})
    rendered = render_step(step, Templates(), {"params": {"n": 3, "r": "us-west-2"}})
    assert isinstance(rendered, AwsCall)
    assert rendered.args == {"desiredCount": 3, "note": "n=3"}
    assert rendered.region == "us-west-2"


def test_steps_run_in_order_and_outputs_feed_later_templates(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(
        tmp_path, "id: one\naction: shell\ncommand: [echo, '{{ params.n * 2 }}']\n"
        "outputs: {out: $.stdout}",
        f"id: two\n{append(host.log, '{{ steps.one.outputs.out | trim }}')}")
    run = host.start(path, {"n": "21"})
    assert run.status is RunStatus.SUCCEEDED
    assert host.effects() == ["42"]
    assert run.step("one").output["out"].strip() == "42"


def test_skip_if_true_skips_the_step_and_journals_why(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, f"id: guarded\n{append(host.log, 'x')}\n"
                        "skip_if: '{{ params.flag }}'")
    run = host.start(path, {"flag": "true"})
    assert host.effects() == []
    assert run.step("guarded").status is StepStatus.SUCCEEDED
    assert run.step("guarded").already_done


def test_on_failure_continue_and_goto(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(
        tmp_path, "id: flaky\naction: shell\ncommand: ['false']\non_failure: continue",
        f"id: after\n{append(host.log, 'after')}",
        "id: broken\naction: shell\ncommand: ['false']\non_failure: goto:cleanup",
        f"id: skipped\n{append(host.log, 'skipped')}",
        f"id: cleanup\n{append(host.log, 'cleanup')}")
    run = host.start(path)
    assert host.effects() == ["after", "cleanup"]
    assert run.status is RunStatus.SUCCEEDED
    assert run.step("flaky").status is StepStatus.FAILED
    assert run.step("broken").status is StepStatus.FAILED
    assert run.step("skipped").status is StepStatus.PENDING


def test_retry_then_abort_fails_the_run(tmp_path: Path) -> None:
    host = Host(tmp_path)
    counter = tmp_path / "tries"
    path = runbook_file(
        tmp_path, f"id: third-time\naction: shell\ncommand: [sh, -c, 'echo x >> {counter}; "
        f"test $(wc -l < {counter}) -ge 3']\nretry: {{attempts: 3, delay: 2s}}",
        "id: never\naction: shell\ncommand: ['false']\nretry: {attempts: 2, delay: 1s}",
        f"id: not-reached\n{append(host.log, 'x')}")
    with pytest.raises(DrctlError) as caught:
        host.start(path)
    run = load_run(host.store, host.run_id())
    assert run.status is RunStatus.FAILED and caught.value.exit_code == 1
    assert len(counter.read_text().split()) == 3
    retries = [e for e in host.store.events(run.run_id) if e.type == "runbook_retry"]
    assert [(e.step, e.data["attempt"]) for e in retries] == [
        ("third-time", 1), ("third-time", 2), ("never", 1)]
    assert host.effects() == []


@pytest.mark.parametrize(("params", "says"), [
    ({"nn": "1"}, "unknown param 'nn' (did you mean n?)"),
    ({"n": "two"}, "param n: 'two' is not of type integer"),
    ({"flag": "maybe"}, "param flag: 'maybe' is not of type boolean"),
])
def test_bad_params_run_nothing(tmp_path: Path, params: dict[str, str], says: str) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, f"id: a\n{append(host.log, 'x')}")
    with pytest.raises(InvalidInput, match=re.escape(says)):
        host.start(path, params)
    assert host.store.run_ids("runbook") == [] and host.effects() == []


def test_a_required_param_must_be_given(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, "id: a\naction: sleep\nduration: 1s",
                        front="  table: {type: string}\n")
    with pytest.raises(InvalidInput, match=r"param table .string. is required"):
        host.start(path)
    assert host.store.run_ids("runbook") == []


def test_manual_at_a_terminal_records_the_note(tmp_path: Path) -> None:
    host = Host(tmp_path, tty=["checked the dashboards"])
    path = runbook_file(tmp_path, "id: look\naction: manual\ninstructions: Check the graphs")
    run = host.start(path)
    assert run.step("look").output["note"] == "checked the dashboards"
    assert run.step("look").output["acknowledged_by"] == ME.to_dict()
    assert "Check the graphs" in host.operator.prompts[0]


def test_manual_without_a_terminal_waits_for_an_ack_from_elsewhere(tmp_path: Path) -> None:
    host = Host(tmp_path, clock=SystemClock())
    path = runbook_file(tmp_path, "id: look\naction: manual", f"id: next\n{append(host.log, 'y')}")
    acked = threading.Thread(target=_ack_when_waiting, args=(host, "all good"))
    acked.start()
    run = host.start(path)
    acked.join()
    assert run.status is RunStatus.SUCCEEDED and host.effects() == ["y"]
    assert run.step("look").output["note"] == "all good"
    assert run.step("look").output["via"] == "drctl runbook ack"
    [told] = host.channel.sent
    assert f"drctl runbook ack {run.run_id}" in told.text


def _ack_when_waiting(host: Host, note: str) -> None:
    _waiting(host, "manual")
    acknowledge(host.store, SystemClock(), host.run_id(), OTHER, note)


def _waiting(host: Host, reason: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ids = host.store.run_ids("runbook")
        if ids and any(e.type == "run_waiting" and e.data.get("reason") == reason
                       for e in host.store.events(ids[0])):
            return
        time.sleep(0.05)
    raise AssertionError(f"the run never waited for {reason}")


def test_ack_refuses_a_run_that_is_not_waiting(tmp_path: Path) -> None:
    host = Host(tmp_path)
    host.start(runbook_file(tmp_path, "id: a\naction: sleep\nduration: 1s"))
    with pytest.raises(InvalidInput, match="not waiting at a manual step"):
        acknowledge(host.store, host.clock, host.run_id(), OTHER, "")


def test_approve_needs_another_person(tmp_path: Path) -> None:
    host = Host(tmp_path, clock=SystemClock())
    path = runbook_file(tmp_path, "id: go\naction: approve\nsummary: scale up",
                        f"id: act\n{append(host.log, 'acted')}")

    def decide_twice() -> None:
        _waiting(host, "approval")
        with pytest.raises(Blocked, match="started this runbook"):
            decide(Engine(host.store, SystemClock()), host.run_id(), ME, approve=True,
                   reason="", allow_self=False)
        decide(Engine(host.store, SystemClock()), host.run_id(), OTHER, approve=True,
               reason="ok", allow_self=False)

    approver = threading.Thread(target=decide_twice)
    approver.start()
    run = host.start(path)
    approver.join()
    assert host.effects() == ["acted"]
    assert run.step("go").output["approved_by"] == OTHER.to_dict()


def _crash_at(step: str) -> Subscriber:
    """Like SIGKILL right after `step` was journaled as started: nothing after it runs."""
    def crash(event: Event) -> None:
        if event.type == "step_started" and event.step == step:
            raise KeyboardInterrupt
    return crash


def test_resume_never_repeats_a_done_step_and_asks_about_a_started_one(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, f"id: first\n{append(host.log, 'first')}",
                        f"id: second\n{append(host.log, 'second')}",
                        f"id: third\n{append(host.log, 'third')}")
    with pytest.raises(KeyboardInterrupt):
        host.start(path, {}, _crash_at("second"))
    run_id = host.run_id()
    assert load_run(host.store, run_id).status is RunStatus.INTERRUPTED
    with pytest.raises(NotConfirmed, match=r"second .* was started but never journaled"):
        resume_runbook(run_id, host.deps, host.engine())
    assert host.effects() == ["first"]
    run = resume_runbook(run_id, host.deps, host.engine(), done={"second"})
    assert run.status is RunStatus.SUCCEEDED
    assert host.effects() == ["first", "third"]


def test_resume_reruns_a_started_step_that_is_guarded_or_chosen(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, f"id: guarded\n{append(host.log, 'g')}\n"
                        "skip_if: '{{ params.flag }}'", f"id: plain\n{append(host.log, 'p')}")
    with pytest.raises(KeyboardInterrupt):
        host.start(path, {}, _crash_at("guarded"))
    with pytest.raises(KeyboardInterrupt):
        resume_runbook(host.run_id(), host.deps, host.engine(_crash_at("plain")))
    run = resume_runbook(host.run_id(), host.deps, host.engine(), rerun={"plain"})
    assert run.status is RunStatus.SUCCEEDED and host.effects() == ["g", "p"]


def test_resume_asks_at_a_terminal(tmp_path: Path) -> None:
    host = Host(tmp_path, tty=["y"])
    path = runbook_file(tmp_path, f"id: only\n{append(host.log, 'o')}")
    with pytest.raises(KeyboardInterrupt):
        host.start(path, {}, _crash_at("only"))
    run = resume_runbook(host.run_id(), host.deps, host.engine())
    assert run.status is RunStatus.SUCCEEDED and host.effects() == ["o"]
    assert "was started but not journaled as done" in host.operator.prompts[0]


def test_resume_refuses_an_edited_runbook(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, "id: a\naction: sleep\nduration: 1s",
                        "id: b\naction: sleep\nduration: 1s")
    with pytest.raises(KeyboardInterrupt):
        host.start(path, {}, _crash_at("b"))
    path.write_text(path.read_text().replace("id: b\naction: sleep\nduration: 1s",
                                             "id: b\naction: sleep\nduration: 5s"))
    with pytest.raises(InvalidInput, match=r"changed since run .* started: b changed"):
        resume_runbook(host.run_id(), host.deps, host.engine())


def test_measures_rto_and_rpo_against_targets(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(
        tmp_path, "id: detect\naction: shell\ncommand: [echo, '2026-01-01T11:50:00Z']\n"
        "outputs: {incident_start: $.stdout, point: $.stdout}",
        "id: recover\naction: sleep\nduration: 90s",
        front="measures:\n  recovery: recover\n  incident_start: detect\n"
              "  recovery_point: detect.point\n  targets: {rto: 20m, rpo: 1m}\n")
    run = host.start(path)
    data = run.to_dict()
    assert data["rto_seconds"] == pytest.approx(600 + 90, abs=1)
    assert data["rto_met"] is True
    assert data["rpo_seconds"] == 0.0 and data["rpo_met"] is True


def test_a_step_resumed_after_a_stop_is_timed_from_its_new_attempt(tmp_path: Path) -> None:
    """The ten minutes the run stood stopped are not the step's (the new-user trial saw a 20 s
    sleep shown as 31 s and named the slowest step); the runbook's wrapper step is the whole
    run, resumes included."""
    host = Host(tmp_path)
    path = runbook_file(tmp_path, f"id: guarded\n{append(host.log, 'g')}\n"
                        "skip_if: '{{ params.flag }}'")
    with pytest.raises(KeyboardInterrupt):
        host.start(path, {}, _crash_at("guarded"))
    host.clock.advance(600)
    run = resume_runbook(host.run_id(), host.deps, host.engine())

    step, wrapper = run.step("guarded"), run.step("runbook")
    assert run.status is RunStatus.SUCCEEDED and host.effects() == ["g"]
    assert step.started_at is not None and step.ended_at is not None
    assert step.started_at >= T0 + timedelta(seconds=600)
    assert wrapper.started_at == run.started_at == T0
