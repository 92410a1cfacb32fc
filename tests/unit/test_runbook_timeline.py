"""The post-mortem timeline says who did each step: a step marked done at resume is
succeeded (as the run's summary says) by the person who marked it, never 'skipped'; a
rejected approval names the person who rejected it, not the executor."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drctl.core.clock import SystemClock
from drctl.core.engine import Engine
from drctl.core.errors import NotConfirmed
from drctl.core.run import RunStatus, StepStatus
from drctl.failover.approval import decide
from drctl.runbook.runner import resume_runbook
from drctl.runbook.timeline import Entry, build_timeline, to_markdown
from drctl.store.base import load_run
from tests.unit.test_runbook_runner import OTHER, Host, _crash_at, _waiting, append, runbook_file


def entries(host: Host) -> dict[str, Entry]:
    run = load_run(host.store, host.run_id())
    return {e.step: e for e in build_timeline(run, host.store.events(run.run_id)).entries}


def test_a_step_marked_done_at_resume_is_succeeded_by_that_person(tmp_path: Path) -> None:
    host = Host(tmp_path)
    path = runbook_file(tmp_path, f"id: first\n{append(host.log, 'first')}",
                        f"id: second\n{append(host.log, 'second')}")
    with pytest.raises(KeyboardInterrupt):
        host.start(path, {}, _crash_at("second"))
    run = resume_runbook(host.run_id(), host.deps, host.engine(), done={"second"})
    assert run.status is RunStatus.SUCCEEDED and host.effects() == ["first"]
    assert run.step("second").status is StepStatus.SUCCEEDED  # the summary
    second = entries(host)["second"]
    assert second.status == "succeeded"  # as the summary says: not "skipped"
    assert second.by == "alice (arn:aws:iam::1:user/alice)"
    assert any("marked done by alice" in note for note in second.notes)


def test_a_skip_if_skip_is_shown_as_skipped(tmp_path: Path) -> None:
    host = Host(tmp_path)
    host.start(runbook_file(tmp_path, f"id: guarded\n{append(host.log, 'x')}\n"
                            "skip_if: '{{ params.flag }}'"), {"flag": "true"})
    assert entries(host)["guarded"].status == "skipped"


def test_a_rejection_names_the_person_who_rejected(tmp_path: Path) -> None:
    host = Host(tmp_path, clock=SystemClock())
    path = runbook_file(tmp_path, "id: go\naction: approve\nsummary: scale up",
                        f"id: act\n{append(host.log, 'acted')}")

    def reject() -> None:
        _waiting(host, "approval")
        decide(Engine(host.store, SystemClock()), host.run_id(), OTHER, approve=False,
               reason="not now", allow_self=False)

    rejecter = threading.Thread(target=reject)
    rejecter.start()
    with pytest.raises(NotConfirmed):
        host.start(path)
    rejecter.join()
    go = entries(host)["go"]
    assert go.status == "failed"
    assert go.by == "bob (arn:aws:iam::1:user/bob)"  # not alice, who ran the runbook
    assert "rejected by bob (arn:aws:iam::1:user/bob): not now" in go.notes
    run = load_run(host.store, host.run_id())
    text = to_markdown(build_timeline(run, host.store.events(run.run_id)))
    assert "| go | failed | bob (arn:aws:iam::1:user/bob) |" in text
