"""`runbook:` schedules: served when the runbook can run unattended with the schedule's params,
run through `drctl.runbook.service.run_unattended` with the fire's trigger, reported and left
out otherwise (a missing file, a step that waits for a person, a param it does not take)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drctl.app import App
from drctl.cli.main import app
from drctl.controller.execute import RunExecutor
from drctl.controller.playbooks import load_served
from drctl.controller.runners import RunContext, runners
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import ScheduleState
from drctl.core.clock import FakeClock
from drctl.core.errors import Blocked, InvalidInput
from drctl.core.run import RunStatus
from drctl.store.base import list_runs
from tests.unit.helpers import T0
from tests.unit.test_controller_scheduler import ME, settle

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = """\
---
id: nightly-check
title: Nightly check
owner: sre
last_validated: 2026-11-30
allow_shell: true
notify: []
params:
  table: {type: string, description: the table checked}
---
# Nightly check

```drctl
id: settle
title: Let the estate settle
action: sleep
duration: 2s
```

```drctl
id: mark
title: Leave a mark naming the table
action: shell
command: ["sh", "-c", "echo {{ params.table }} > {mark}"]
```
"""


def playbook_with(tmp_path: Path, schedule: str, runbook: str = RUNBOOK) -> Path:
    (tmp_path / "nightly.md").write_text(runbook.replace("{mark}", str(tmp_path / "mark")),
                                         encoding="utf-8")
    text = (ROOT / "playbooks" / "roadtrip.yaml").read_text(encoding="utf-8")
    start, end = text.index("schedules:\n"), text.index("# Restore drills")
    path = tmp_path / "book.yaml"
    path.write_text(f"{text[:start]}schedules:\n{schedule}\n{text[end:]}", encoding="utf-8")
    return path


NIGHTLY = """\
  - name: nightly
    every: 5s
    runbook: nightly.md
    params: {table: roadtrip-pois}"""


def test_a_runbook_schedule_runs_the_runbook_unattended_with_its_params_and_trigger(
        tmp_path: Path) -> None:
    served = load_served([str(playbook_with(tmp_path, NIGHTLY))])
    assert served.problems == [] and [j.key for j in served.jobs] == ["roadtrip/nightly"]
    app, clock = App(tmp_path / "state"), FakeClock(T0)
    app.clock = clock
    state = ScheduleState(app.store)
    executor = RunExecutor(app.store, clock, state, runners(RunContext.of(app, served.playbooks)))
    scheduler = Scheduler(served.jobs, state, executor, clock, ME)
    scheduler.run_tick()
    clock.advance(5)
    assert len(scheduler.run_tick().started) == 1
    settle(executor)
    (run,) = list_runs(app.store, "runbook")
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.params["runbook"] == "nightly-check"
    assert run.params["values"] == {"table": "roadtrip-pois"}
    assert run.params["trigger"]["schedule"] == "nightly"
    assert run.params["trigger"]["fire_time"] == "2026-01-01T12:00:05.000Z"
    assert (tmp_path / "mark").read_text().strip() == "roadtrip-pois"
    last = state.last("roadtrip/nightly")
    assert last is not None and (last.run_id, last.result) == (run.run_id, "passed")


@pytest.mark.parametrize(("schedule", "runbook", "problem"), [
    (NIGHTLY.replace("nightly.md", "gone.md"), RUNBOOK, "gone.md does not exist"),
    (NIGHTLY.replace("table: roadtrip-pois", "tabel: x"), RUNBOOK, "unknown param 'tabel'"),
    (NIGHTLY, RUNBOOK.replace("action: sleep\nduration: 2s", "action: manual\n"
                              "instructions: look"), "waits for a person at settle"),
])
def test_a_runbook_schedule_that_cannot_run_unattended_is_reported_and_not_served(
        tmp_path: Path, schedule: str, runbook: str, problem: str) -> None:
    served = load_served([str(playbook_with(tmp_path, schedule, runbook))])
    assert served.jobs == []
    (reported,) = served.problems
    assert "schedule 'nightly'" in reported and problem in reported


def test_an_unknown_schedule_hints_the_listing_of_the_playbooks_given(tmp_path: Path) -> None:
    book = str(playbook_with(tmp_path, NIGHTLY))
    state = str(tmp_path / "state")
    result = CliRunner().invoke(app, ["--state-dir", state, "schedule", "run", "nosuch",
                                      "--playbook", book])
    assert isinstance(result.exception, InvalidInput)
    hint = result.exception.hint or ""
    assert hint == f"see `drctl schedule list --playbook {book}`"
    command = hint.removeprefix("see `").removesuffix("`").split()[1:]  # after `drctl`
    listed = CliRunner().invoke(app, ["--state-dir", state, *command, "--json"])
    assert listed.exit_code == 0
    assert [s["schedule"] for s in json.loads(listed.stdout)["schedules"]] == ["nightly"]


def test_the_resume_hint_of_a_pause_resumes_that_schedule_of_the_playbooks_given(
        tmp_path: Path) -> None:
    """It said `drctl schedule resume pb/nightly` without the --playbook it was paused with:
    run as printed, it named no known schedule (exit 2) and the schedule stayed paused."""
    book = str(playbook_with(tmp_path, NIGHTLY))
    state = str(tmp_path / "state")
    paused = CliRunner().invoke(app, ["--state-dir", state, "schedule", "pause", "nightly",
                                      "--reason", "release week", "--playbook", book])
    assert paused.exit_code == 0, paused.output
    hint = paused.stdout.split("(`", 1)[1].split("`", 1)[0]
    assert hint == f"drctl schedule resume roadtrip/nightly --playbook {book}"
    resumed = CliRunner().invoke(app, ["--state-dir", state, *shlex.split(hint)[1:]])
    assert resumed.exit_code == 0, resumed.output
    assert "roadtrip/nightly resumed (was paused by" in resumed.stdout


def test_a_schedule_hint_names_the_shared_store_it_was_given() -> None:
    from drctl.cli.schedule import schedule_command

    command = schedule_command(["playbooks/"], "resume", "roadtrip/nightly",
                               state="dynamodb://drctl-state?region=us-east-1")
    assert shlex.split(command) == ["drctl", "--state", "dynamodb://drctl-state?region=us-east-1",
                                    "schedule", "resume", "roadtrip/nightly",
                                    "--playbook", "playbooks/"]


def test_pausing_a_paused_schedule_says_whose_pause_it_replaces(tmp_path: Path) -> None:
    """A second pause replaced the first one's who and why without a word."""
    book = str(playbook_with(tmp_path, NIGHTLY))
    state = ["--state-dir", str(tmp_path / "state")]
    first = CliRunner().invoke(app, [*state, "schedule", "pause", "nightly", "--reason",
                                     "release week", "--playbook", book])
    assert first.exit_code == 0 and "replaces" not in first.stdout
    second = CliRunner().invoke(app, [*state, "schedule", "pause", "nightly", "--reason",
                                      "incident 42", "--playbook", book, "--json"])
    assert second.exit_code == 0, second.output
    shown = json.loads(second.stdout)
    assert shown["reason"] == "incident 42" and shown["was"]["reason"] == "release week"
    third = CliRunner().invoke(app, [*state, "schedule", "pause", "nightly", "--reason",
                                     "still", "--playbook", book])
    assert "it replaces the pause paused by" in third.stdout and ": incident 42" in third.stdout


def test_runs_show_of_a_pause_and_a_resume_says_what_who_and_why(tmp_path: Path) -> None:
    """They showed an empty step table: what was paused, by whom and why was in --json only."""
    book = str(playbook_with(tmp_path, NIGHTLY))
    state = ["--state-dir", str(tmp_path / "state")]
    paused = CliRunner().invoke(app, [*state, "schedule", "pause", "nightly", "--reason",
                                      "release week", "--playbook", book, "--json"])
    resumed = CliRunner().invoke(app, [*state, "schedule", "resume", "nightly", "--playbook",
                                       book, "--json"])
    shown = [CliRunner().invoke(app, [*state, "runs", "show", json.loads(r.stdout)["run_id"]])
             for r in (paused, resumed)]
    user = json.loads(paused.stdout)["by"]
    assert f"pause of roadtrip/nightly by {user} on " in shown[0].stdout
    assert shown[0].stdout.rstrip().endswith(": release week")
    assert f"resume of roadtrip/nightly by {user} on " in shown[1].stdout
    assert f"(it ended the pause by {user}: release week)" in shown[1].stdout


def test_a_paused_schedule_is_not_run_by_hand_until_resumed(tmp_path: Path) -> None:
    """`schedule run` ran a paused schedule without a word: a pause is a person saying "not
    now" (a release week), and a run by hand goes through the same guards as a fire."""
    book = str(playbook_with(tmp_path, NIGHTLY))
    state = ["--state-dir", str(tmp_path / "state")]
    paused = CliRunner().invoke(app, [*state, "schedule", "pause", "nightly", "--reason",
                                      "release week", "--playbook", book])
    assert paused.exit_code == 0, paused.output
    refused = CliRunner().invoke(app, [*state, "schedule", "run", "nightly", "--playbook", book,
                                       "--json"])
    assert isinstance(refused.exception, Blocked)  # exit 4 from the command line
    run = json.loads(refused.stdout)
    assert run["verdict"] == "skipped" and "release week" in run["verdict_reason"]
    hint = refused.exception.hint or ""
    command = hint.split("`")[1]
    assert command == f"drctl schedule resume roadtrip/nightly --playbook {book}"
    resumed = CliRunner().invoke(app, [*state, *shlex.split(command)[1:]])
    assert resumed.exit_code == 0, resumed.output
    ran = CliRunner().invoke(app, [*state, "schedule", "run", "nightly", "--playbook", book,
                                   "--json"])
    after = json.loads(ran.stdout)
    assert after.get("verdict") != "skipped" and after["steps"], ran.output  # it ran
