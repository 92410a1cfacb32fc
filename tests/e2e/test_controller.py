"""`drctl controller` against a live sandbox: scheduled drills and chaos journaled with their
trigger, a broken playbook reported while the others are served, a clean stop on SIGTERM.

Each test starts its controller(s) as subprocesses and stops them by pid.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drctl.core.clock import parse_iso
from drctl.core.run import Run
from drctl.sandbox.manager import SandboxInfo
from drctl.store.base import list_runs
from drctl.store.sqlite import SqliteStore
from tests.e2e.helpers import PLAYBOOK, Cli, wait_until
from tests.unit.helpers import process_running

pytestmark = pytest.mark.e2e

PROBE_EXPERIMENT = {
    "title": "probe only", "description": "reads the api service; changes nothing",
    "configuration": {"aws_region": "us-west-2"},
    "method": [{"type": "probe", "name": "api-running-tasks", "provider": {
        "type": "python", "module": "drctl.chaos.probes", "func": "running_tasks",
        "arguments": {"cluster": "roadtrip", "service": "api"}}}],
}


def game_day_playbook(name: str, schedules: str) -> str:
    """roadtrip.yaml renamed, with `schedules` instead of the shipped ones."""
    text = PLAYBOOK.read_text(encoding="utf-8").replace("name: roadtrip\n", f"name: {name}\n", 1)
    start, end = text.index("schedules:\n"), text.index("# Restore drills")
    return f"{text[:start]}schedules:\n{schedules}\n{text[end:]}"


@pytest.fixture
def playbooks(tmp_path: Path) -> Path:
    """A directory of three playbooks: a drill every 5s, chaos every 5s, and a broken one."""
    directory = tmp_path / "playbooks"
    directory.mkdir()
    (tmp_path / "probe.json").write_text(json.dumps(PROBE_EXPERIMENT), encoding="utf-8")
    (directory / "drills.yaml").write_text(game_day_playbook("game-drill", """\
  - name: pois-drill
    every: 5s
    drill: {target: "dynamodb:roadtrip-pois", kind: pitr}"""), encoding="utf-8")
    (directory / "chaos.yaml").write_text(game_day_playbook("game-chaos", """\
  - name: probe
    every: 5s
    chaos: ../probe.json"""), encoding="utf-8")
    (directory / "broken.yaml").write_text("name: broken\nregions: {}\n", encoding="utf-8")
    return directory


@pytest.fixture
def controllers(cli_: Cli) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = cli_.spawn("controller", *args)
        started.append(process)
        return process

    yield start
    for process in started:  # by pid, whatever the test did
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.fixture
def cli_(sandbox: SandboxInfo, tmp_path: Path) -> Cli:
    return Cli(sandbox, tmp_path / "state")


def runs_of(cli: Cli) -> list[Run]:
    store = SqliteStore(cli.state_dir / "journal.db")
    try:
        return list_runs(store, None, 1000)
    finally:
        store.close()


def stop(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


def log_lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_scheduled_drill_and_chaos_are_journaled_with_their_trigger(
        cli_: Cli, playbooks: Path,
        controllers: Callable[..., subprocess.Popen[str]]) -> None:
    process = controllers("--playbook", str(playbooks))

    def finished_both() -> bool:
        runs = [r for r in runs_of(cli_) if r.status.finished and "trigger" in r.params]
        return {r.kind for r in runs if r.status.value == "succeeded"} >= {"drill", "chaos"}

    wait_until(finished_both, 180, "a scheduled drill and a scheduled chaos run to pass")
    code, stderr = stop(process)
    assert code == 0, stderr[-2000:]
    runs = [r for r in runs_of(cli_) if "trigger" in r.params]
    for run in runs:
        trigger = run.to_dict()["trigger"]
        fire_time = parse_iso(trigger["fire_time"])
        assert fire_time.timestamp() % 5 == 0  # nominal, aligned to the epoch
        assert run.started_at >= fire_time
        assert {"schedule": trigger["schedule"], "playbook": trigger["playbook"]} in (
            {"schedule": "pois-drill", "playbook": "game-drill"},
            {"schedule": "probe", "playbook": "game-chaos"})
    fires = Counter((r.params["trigger"]["schedule"], r.params["trigger"]["fire_time"])
                    for r in runs)
    assert max(fires.values()) == 1, fires  # no fire ran twice
    passed = [r for r in runs if r.kind == "chaos" and r.measurement.get("verdict") == "passed"]
    assert passed and passed[0].params["experiment"] == "probe only"
    logs = log_lines(stderr)
    assert any(line["event"] == "not_served" and "broken.yaml" in line["problem"]
               for line in logs)
    bound = [line for line in logs if line.get("run_id") and line.get("schedule")]
    assert {line["schedule"] for line in bound} >= {"game-drill/pois-drill", "game-chaos/probe"}
    assert logs[-1]["event"] == "controller_stopped"


def test_schedule_list_shows_the_last_result_and_schedule_run_goes_through_the_guards(
        cli_: Cli, playbooks: Path) -> None:
    chaos = str(playbooks / "chaos.yaml")
    halted = cli_("chaos", "halt", "--reason", "game day over")
    assert halted.returncode == 0, halted.stderr
    refused = cli_("schedule", "run", "probe", "--playbook", chaos, "--json")
    assert refused.returncode == 4, refused.stderr
    run = json.loads(refused.stdout)
    assert run["verdict"] == "skipped" and "kill_switch" in run["verdict_reason"]
    assert run["trigger"]["manual"] is True and run["trigger"]["schedule"] == "probe"
    listed = cli_.json("schedule", "list", "--playbook", chaos)
    (entry,) = listed["schedules"]
    assert entry["last"]["run_id"] == run["run_id"] and entry["last"]["result"] == "skipped"


LONG_EXPERIMENT = {
    "title": "long command", "description": "runs until stopped; its rollback leaves a mark",
    "configuration": {"aws_region": "us-west-2"},
    "method": [{"type": "action", "name": "long-command", "provider": {
        "type": "process", "path": "sh", "arguments": ["-c", "sleep 60 & echo $! > {pid}; wait"]}}],
    "rollbacks": [{"type": "action", "name": "mark-rolled-back", "provider": {
        "type": "process", "path": "sh", "arguments": ["-c", "touch {mark}"]}}],
}


def test_sigterm_stops_a_scheduled_experiment_with_its_rollbacks_and_exits_0(
        cli_: Cli, tmp_path: Path, controllers: Callable[..., subprocess.Popen[str]]) -> None:
    """Chaos runs on a worker thread like every scheduled run; the controller's stop reaches its
    experiment process through the interruption port."""
    pidfile, mark = tmp_path / "sleep.pid", tmp_path / "rolled-back"
    text = json.dumps(LONG_EXPERIMENT).replace("{pid}", str(pidfile)).replace(
        "{mark}", str(mark))
    (tmp_path / "long.json").write_text(text, encoding="utf-8")
    book = tmp_path / "long.yaml"
    book.write_text(game_day_playbook("game-long", """\
  - name: long
    every: 2s
    chaos: long.json"""), encoding="utf-8")
    process = controllers("--playbook", str(book))
    # A hang guard, not a timing claim: the controller's start-up, its first fire, the
    # pre-flight and the experiment process's import of chaoslib took over 60 s at load 45.
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 180,
               "the scheduled experiment's long command to start")
    code, stderr = stop(process)
    assert code == 0, stderr[-2000:]
    (run,) = [r for r in runs_of(cli_) if r.kind == "chaos" and r.measurement.get(
        "verdict") != "skipped"]
    assert (run.measurement["verdict"], run.measurement["stopped_by"]) == ("aborted", "operator")
    assert "SIGTERM" in run.measurement["verdict_reason"]
    assert mark.exists(), "the rollback did not run"
    assert not process_running(int(pidfile.read_text())), "the experiment's `sleep` outlived it"
