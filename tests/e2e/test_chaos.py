"""`drctl chaos` against a live sandbox: every verdict, the guards, Ctrl-C, the journal.

One sandbox for the module; each test has its own journal (so its own kill switch and runs),
and `steady_estate` waits until the estate the experiments touch is back to normal.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from drctl.core.events import Event
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo
from drctl.store.sqlite import SqliteStore
from tests.e2e.helpers import ROOT, Cli, wait_for_replicated_heartbeat
from tests.unit.helpers import process_running

pytestmark = pytest.mark.e2e

SHIPPED = sorted(p.name for p in (ROOT / "experiments").iterdir())
STOP_ALARM = "roadtrip-api-latency-us-west-2"
# The journal keys `chaos run` writes (chaostoolkit 1.19 / chaostoolkit-lib 1.44).
JOURNAL_KEYS = {"chaoslib-version", "platform", "node", "experiment", "start", "end",
                "duration", "status", "deviated", "steady_states", "run", "rollbacks"}
RUN_KEYS = {"activity", "output", "start", "status", "end", "duration"}


@pytest.fixture
def cli(sandbox: SandboxInfo, tmp_path: Path) -> Cli:
    return Cli(sandbox, tmp_path / "state")


@pytest.fixture(autouse=True)
def steady_estate(aws: ClientFactory) -> Iterator[None]:
    """Before and after each test: the stop alarm OK, `api` in us-west-2 at 1 running task."""
    _wait_steady(aws)
    yield
    aws.client("cloudwatch", "us-west-2").set_alarm_state(
        AlarmName=STOP_ALARM, StateValue="OK", StateReason="test cleanup")
    _wait_steady(aws)


def _wait_steady(aws: ClientFactory, timeout: float = 15) -> None:
    ecs = aws.client("ecs", "us-west-2")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        svc = ecs.describe_services(cluster="roadtrip", services=["api"])["services"][0]
        if (svc["desiredCount"], svc["runningCount"]) == (1, 1):
            return
        if svc["desiredCount"] != 1:
            ecs.update_service(cluster="roadtrip", service="api", desiredCount=1)
        time.sleep(0.2)
    raise AssertionError(f"api in us-west-2 did not settle: {svc}")


def run_json(cli: Cli, *args: str) -> tuple[int, dict[str, Any], str]:
    result = cli("chaos", "run", *args, "--json")
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON on stdout; stderr:\n{result.stderr}") from None
    return result.returncode, document, result.stderr


def write(tmp_path: Path, document: dict[str, Any]) -> str:
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(document))
    return str(path)


def experiment(method: list[dict[str, Any]], probes: list[dict[str, Any]] | None = None,
               rollbacks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "title": "test experiment", "description": "written by tests/e2e/test_chaos.py",
        "configuration": {"aws_region": "us-west-2"}, "method": method,
        "rollbacks": rollbacks or [],
    }
    if probes:
        document["steady-state-hypothesis"] = {"title": "h", "probes": probes}
    return document


def set_api_count(name: str, count: int, **extra: Any) -> dict[str, Any]:
    return {"type": "action", "name": name, **extra,
            "provider": {"type": "python", "module": "chaosaws.ecs.actions",
                         "func": "update_desired_count",
                         "arguments": {"cluster": "roadtrip", "service": "api",
                                       "desired_count": count}}}


def api_runs_between(low: int, high: int) -> dict[str, Any]:
    return {"type": "probe", "name": "api-running-tasks",
            "tolerance": {"type": "range", "range": [low, high]},
            "provider": {"type": "python", "module": "drctl.chaos.probes", "func": "running_tasks",
                         "arguments": {"cluster": "roadtrip", "service": "api"}}}


def api_desired(aws: ClientFactory) -> int:
    services = aws.client("ecs", "us-west-2").describe_services(
        cluster="roadtrip", services=["api"])["services"]
    return int(services[0]["desiredCount"])


def chaos_runs(cli: Cli) -> list[dict[str, Any]]:
    runs = cli.json("runs", "list", "--kind", "chaos")
    assert isinstance(runs, list)
    return runs


# -- the shipped experiments ---------------------------------------------------------------

def task_was_replaced(aws: ClientFactory, sandbox: SandboxInfo, run: dict[str, Any]) -> None:
    stopped = run["journal"]["run"][0]["output"][0]["Task_Id"]
    running = aws.client("ecs", "us-west-2").list_tasks(cluster="roadtrip", serviceName="api")
    assert stopped not in running["taskArns"] and len(running["taskArns"]) == 1


def workers_were_restarted(aws: ClientFactory, sandbox: SandboxInfo, run: dict[str, Any]) -> None:
    assert run["journal"]["run"][1]["output"] == 3  # during the experiment: one worker down
    reservations = aws.client("ec2", "us-east-1").describe_instances(Filters=[
        {"Name": "tag:aws:autoscaling:groupName", "Values": ["roadtrip-workers"]}])
    states = [i["State"]["Name"] for r in reservations["Reservations"] for i in r["Instances"]]
    assert len(states) == 4 and set(states) <= {"pending", "running"}, states


def database_was_rebooted(aws: ClientFactory, sandbox: SandboxInfo, run: dict[str, Any]) -> None:
    action = run["journal"]["run"][0]
    assert action["activity"]["provider"]["arguments"]["force_failover"] is True
    assert action["output"]["DBInstance"]["DBInstanceIdentifier"] == "roadtrip-db"


def faults_were_cleared(aws: ClientFactory, sandbox: SandboxInfo, run: dict[str, Any]) -> None:
    injected = run["journal"]["run"][0]["output"]
    assert injected["error_rate"] == 0.1 and injected["throttle"]["dynamodb"] == 5.0
    assert run["journal"]["run"][1]["output"] == {"heartbeat_reads": 25, "alarm_reads": 25}
    faults = manager.ground_truth(sandbox.state_dir)["faults"]
    assert (faults["error_rate"], faults["latency_ms"], faults["throttle"]) == (0.0, 0.0, {})
    # The sandbox's own counters: each fault it names was really met, and absorbed. (How many
    # calls a 5/s bucket throttles depends on how fast this machine makes them: at least one.)
    met = {k: faults["injected"][k] - INJECTED_BEFORE[k] for k in faults["injected"]}
    assert met["throttled"] >= 1 and met["errors"] >= 1 and met["delayed"] >= 50, met


INJECTED_BEFORE: dict[str, int] = {}  # the sandbox's fault counters before the experiment
EFFECTS = {"ecs-task-loss.json": task_was_replaced, "asg-worker-stop.json": workers_were_restarted,
           "rds-reboot-failover.json": database_was_rebooted,
           "api-throttling.yaml": faults_were_cleared}


def test_every_shipped_experiment_is_checked_here() -> None:
    assert sorted(EFFECTS) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_experiment_passes_and_is_recorded(cli: Cli, aws: ClientFactory,
                                                     sandbox: SandboxInfo, name: str) -> None:
    wait_for_replicated_heartbeat(aws, timeout=20)
    INJECTED_BEFORE.update(manager.ground_truth(sandbox.state_dir)["faults"]["injected"])

    code, run, stderr = run_json(cli, f"experiments/{name}")

    assert (code, run["verdict"]) == (0, "passed"), f"{run['verdict_reason']}\n{stderr}"
    assert run["kind"] == "chaos" and run["status"] == "succeeded"
    journal = run["journal"]
    assert journal["status"] == "completed" and journal["steady_states"]["after"][
        "steady_state_met"]
    assert all(r["status"] == "succeeded" for r in journal["run"] + journal["rollbacks"])
    EFFECTS[name](aws, sandbox, run)
    shown = cli.json("runs", "show", run["run_id"])
    assert (shown["verdict"], shown["journal"]) == ("passed", journal)
    assert [r["run_id"] for r in chaos_runs(cli)] == [run["run_id"]]


# -- verdicts ----------------------------------------------------------------------------

def test_a_steady_state_lost_after_the_method_is_deviated(cli: Cli, tmp_path: Path,
                                                          aws: ClientFactory) -> None:
    path = write(tmp_path, experiment(
        method=[set_api_count("scale-api-to-zero", 0, pauses={"after": 1.5})],
        probes=[api_runs_between(1, 100)], rollbacks=[set_api_count("restore-api", 1)]))

    code, run, _ = run_json(cli, path)

    assert (code, run["verdict"], run["status"]) == (1, "deviated", "failed")
    assert "probe 'api-running-tasks' returned 0" in run["verdict_reason"]
    assert run["journal"]["deviated"] is True
    assert [r["status"] for r in run["journal"]["rollbacks"]] == ["succeeded"]
    assert api_desired(aws) == 1


def test_a_steady_state_not_met_before_fails_and_the_method_does_not_run(
        cli: Cli, tmp_path: Path, aws: ClientFactory) -> None:
    path = write(tmp_path, experiment(method=[set_api_count("scale-api-to-three", 3)],
                                      probes=[api_runs_between(6, 100)]))

    code, run, _ = run_json(cli, path)

    assert (code, run["verdict"]) == (1, "failed")
    assert "not met before the method" in run["verdict_reason"]
    assert run["journal"]["run"] == []
    assert api_desired(aws) == 1


def test_a_stop_alarm_raised_mid_run_aborts_at_the_next_activity_and_rolls_back(
        cli: Cli, tmp_path: Path, aws: ClientFactory) -> None:
    path = write(tmp_path, experiment(
        method=[set_api_count("scale-api-to-two", 2, pauses={"after": 4}),
                set_api_count("scale-api-to-three", 3)],
        rollbacks=[set_api_count("restore-api", 1)]))
    process = _start(cli, path)
    try:
        _wait_for_step(cli, "method: scale-api-to-two")
        aws.client("cloudwatch", "us-west-2").set_alarm_state(
            AlarmName=STOP_ALARM, StateValue="ALARM", StateReason="test: latency")
        out, _ = process.communicate(timeout=60)
    finally:
        _stop(process)
    run = json.loads(out)

    assert (process.returncode, run["verdict"], run["stopped_by"]) == (4, "aborted", "guard")
    assert f"us-west-2/{STOP_ALARM}" in run["verdict_reason"]
    assert [r["activity"]["name"] for r in run["journal"]["run"]] == ["scale-api-to-two"]
    assert [r["activity"]["name"] for r in run["journal"]["rollbacks"]] == ["restore-api"]
    assert api_desired(aws) == 1


def test_ctrl_c_stops_the_experiment_and_plays_its_rollbacks(cli: Cli, tmp_path: Path,
                                                             aws: ClientFactory) -> None:
    path = write(tmp_path, experiment(
        method=[set_api_count("scale-api-to-two", 2, pauses={"after": 30}),
                set_api_count("scale-api-to-three", 3)],
        rollbacks=[set_api_count("restore-api", 1)]))
    process = _start(cli, path)
    try:
        _wait_for_step(cli, "method: scale-api-to-two")
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        _stop(process)
    run = json.loads(out)

    assert (process.returncode, run["verdict"], run["stopped_by"]) == (3, "aborted", "operator")
    assert run["journal"]["status"] == "interrupted"
    assert [r["activity"]["name"] for r in run["journal"]["run"]] == ["scale-api-to-two"]
    assert [r["status"] for r in run["journal"]["rollbacks"]] == ["succeeded"]
    assert api_desired(aws) == 1


def shell_action(name: str, script: str) -> dict[str, Any]:
    return {"type": "action", "name": name,
            "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_stops_the_experiment_like_ctrl_c(cli: Cli, tmp_path: Path,
                                                            signum: int) -> None:
    pidfile = tmp_path / "sleep.pid"
    path = write(tmp_path, experiment(
        method=[shell_action("long-command", f"sleep 60 & echo $! > {pidfile}; wait")],
        rollbacks=[shell_action("mark-rolled-back", f"touch {tmp_path / 'rolled-back'}")]))
    process = _start(cli, path)
    try:
        _wait_for_step(cli, "method: long-command")
        process.send_signal(signum)
        out, _ = process.communicate(timeout=60)
    finally:
        _stop(process)
    run = json.loads(out)

    assert (process.returncode, run["verdict"], run["stopped_by"]) == (3, "aborted", "operator")
    assert signal.Signals(signum).name in run["verdict_reason"]
    steps = {s["name"]: s["status"] for s in cli.json("runs", "show", run["run_id"])["steps"]}
    assert steps["rollback: mark-rolled-back"] == "succeeded"
    assert (tmp_path / "rolled-back").exists()
    sleeper = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while process_running(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(sleeper), "the experiment's `sleep` outlived it"


# -- pre-flight ----------------------------------------------------------------------------

def test_the_kill_switch_skips_experiments_until_resumed(cli: Cli) -> None:
    halted = cli.json("chaos", "halt", "--reason", "INC-42: us-east-1 degraded")
    assert halted["halted"] is True

    code, run, stderr = run_json(cli, "experiments/ecs-task-loss.json")

    assert (code, run["verdict"], run["status"]) == (4, "skipped", "aborted")
    assert "INC-42: us-east-1 degraded" in run["verdict_reason"] and "INC-42" in stderr
    assert run["journal"] is None
    assert [s["name"] for s in run["steps"]] == ["preflight"]
    listed = {e["path"]: e for e in cli.json("chaos", "list")}
    assert listed["experiments/ecs-task-loss.json"]["last_run"]["verdict"] == "skipped"
    assert cli.json("chaos", "resume")["halted"] is False
    assert cli.json("chaos", "run", "experiments/ecs-task-loss.json", "--dry-run")[
        "preflight"]["passed"] is True
    # Who stopped chaos, and who allowed it again, is in the journal.
    audit = [cli.json("runs", "show", r["run_id"])["params"]
             for r in cli.json("runs", "list", "--kind", "kill-switch")]
    assert [a["action"] for a in audit] == ["resume", "halt"]
    assert audit[1]["reason"] == "INC-42: us-east-1 degraded"


def test_an_unfinished_failover_skips_the_experiment(cli: Cli) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    store = SqliteStore(cli.state_dir / "journal.db")
    store.append(Event("fa-crashed", "run_started", datetime.now(UTC), data={
        "kind": "failover", "params": {}, "pid": int(dead.stdout), "user": "sre",
        "host": socket.gethostname()}))
    store.close()

    code, run, _ = run_json(cli, "experiments/ecs-task-loss.json")

    assert (code, run["verdict"]) == (4, "skipped")
    assert "fa-crashed (interrupted)" in run["verdict_reason"]


def test_region_scope_chaos_against_the_only_serving_region_is_refused(
        cli: Cli, tmp_path: Path) -> None:
    document = experiment(method=[])
    document["configuration"]["aws_region"] = "us-east-1"
    document["extensions"] = [{"name": "drctl", "scope": "region",
                               "target_regions": ["us-east-1"]}]
    path = write(tmp_path, document)

    code, run, _ = run_json(cli, path)

    assert (code, run["verdict"]) == (4, "skipped")
    assert "us-east-1 is the only region serving api.roadcopilot.com" in run["verdict_reason"]
    # Declaring the standby while acting in the serving region is refused, not believed.
    document["extensions"][0]["target_regions"] = ["us-west-2"]
    lying = cli("chaos", "run", write(tmp_path, document), "--dry-run")
    assert lying.returncode == 2 and "acts in us-east-1" in " ".join(lying.stderr.split())
    document["configuration"]["aws_region"] = "us-west-2"  # the standby: allowed
    assert cli.json("chaos", "run", write(tmp_path, document), "--dry-run")["preflight"][
        "passed"] is True


# -- the journal, as `chaos run` writes it -------------------------------------------------

def test_an_experiment_for_the_chaos_cli_runs_unchanged_with_the_same_journal(
        cli: Cli, tmp_path: Path) -> None:
    source = ROOT / "experiments" / "rds-reboot-failover.json"  # chaostoolkit-aws and http

    code, run, _ = run_json(cli, str(source))

    assert code == 0
    journal = run["journal"]
    assert journal["experiment"] == {**json.loads(source.read_text()), "dry": None}
    if importlib.util.find_spec("chaostoolkit"):  # the reference, when installed: same shape
        out = tmp_path / "journal.json"
        subprocess.run([sys.executable, "-m", "chaostoolkit", "--log-file",
                        str(tmp_path / "chaostoolkit.log"), "run", "--journal-path", str(out),
                        str(source)], env=cli.env(), cwd=ROOT, capture_output=True, check=True,
                       timeout=60)
        assert shape(journal) == shape(json.loads(out.read_text()))
    assert set(journal) == JOURNAL_KEYS
    assert set(journal["steady_states"]) == {"before", "after", "during"}
    for entry in journal["run"] + journal["steady_states"]["before"]["probes"]:
        assert set(entry) >= RUN_KEYS


def shape(value: Any, path: str = "") -> set[str]:
    """Every key path of a JSON document with the type found there (values ignored)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= {f"{path}.{key}:{type(item).__name__}"} | shape(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            found |= shape(item, f"{path}[]")
    return found


# -- bad input: exit 2, nothing runs --------------------------------------------------------

@pytest.mark.parametrize(("mutate", "args", "message"), [
    (lambda d: d.pop("title"), [], "experiment requires a title"),
    (lambda d: d["method"][0]["provider"].update(module="chaosaws.nosuch"), [],
     "could not find Python module 'chaosaws.nosuch'"),
    (lambda d: None, ["--var", "aws_regoin=eu-west-1"], "unknown variable(s) aws_regoin"),
])
def test_bad_input_exits_2_and_runs_nothing(cli: Cli, tmp_path: Path, aws: ClientFactory,
                                            mutate: Any, args: list[str], message: str) -> None:
    document = experiment(method=[set_api_count("scale-api-to-three", 3)])
    mutate(document)

    result = cli("chaos", "run", write(tmp_path, document), *args)

    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert chaos_runs(cli) == []
    assert api_desired(aws) == 1


def test_dry_run_shows_the_plan_and_runs_nothing(cli: Cli) -> None:
    plan = cli.json("chaos", "run", "experiments/asg-worker-stop.json", "--dry-run")

    assert [a["name"] for a in plan["method"]] == ["stop-one-worker",
                                                   "workers-running-after-the-loss"]
    assert plan["stop_alarms"]["us-west-2"] == ["roadtrip-api-5xx-us-west-2", STOP_ALARM]
    assert chaos_runs(cli) == []


# -- helpers -------------------------------------------------------------------------------

def _start(cli: Cli, path: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "drctl", "chaos", "run", path, "--json"],
                            env=cli.env(), cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_step(cli: Cli, step: str, timeout: float = 120) -> None:
    """Until the newest chaos run in the test's journal has started `step`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        store = SqliteStore(cli.state_dir / "journal.db")
        try:
            ids = store.run_ids("chaos")
            if ids and any(e.type == "step_started" and e.step == step
                           for e in store.events(ids[0])):
                return
        finally:
            store.close()
        time.sleep(0.1)
    raise AssertionError(f"step {step!r} did not start within {timeout}s")


def _stop(process: subprocess.Popen[str]) -> None:
    """Whatever happened, the drctl process this test started is gone (by its pid)."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
