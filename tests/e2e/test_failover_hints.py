"""No dead ends: the hints a failover prints are run here, as printed, in the situation that
prints them — and each must work.

The stopped-half-way hints (failed step, Ctrl-C after the switch) are run in
test_failover_dead_ends.py.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from drctl.aws.clients import ClientFactory
from drctl.core.events import Event
from drctl.failover.runner import failover_params
from drctl.failover.spec import FailoverOptions, FailoverSpec
from drctl.playbook.loader import load_playbook
from drctl.store.base import LockHolder
from drctl.store.sqlite import SqliteStore
from tests.e2e.helpers import PLAYBOOK, Cli, estate_snapshot, wait_for_replicated_heartbeat
from tests.e2e.test_failover_approval import second_person, wait_for_status
from tests.e2e.test_failover_resume import AFTER_FAILOVER
from tests.hints import hinted

ELSEWHERE = "ops-laptop-2"  # another operator's machine: its processes cannot be seen from here
assert socket.gethostname() != ELSEWHERE

BACK_HOME = {"us-east-1": 100, "us-west-2": 0}


def test_nothing_to_fail_over_then_a_lock_left_by_a_gone_machine(sandbox, aws,
                                                                 tmp_path: Path) -> None:
    """One sandbox, two situations in a row (the second starts where the first left)."""
    nothing_to_fail_over_points_at_the_other_region(Cli(sandbox, tmp_path / "a"), aws)
    a_lock_held_by_a_machine_that_is_gone_is_taken_over_as_printed(
        Cli(sandbox, tmp_path / "b"), aws)


def nothing_to_fail_over_points_at_the_other_region(cli: Cli, aws: ClientFactory) -> None:
    assert estate_snapshot(aws)["weights"] == BACK_HOME  # as seeded

    refused = cli("failover", "--region", "us-east-1", "--yes")
    assert refused.returncode == 2, refused.stderr
    assert "nothing to fail over" in refused.stderr
    switched = cli(*hinted(refused.stderr, "failover"), "--yes", "--json")
    assert switched.returncode == 0, switched.stderr
    assert json.loads(switched.stdout)["status"] == "succeeded"
    assert estate_snapshot(aws) == AFTER_FAILOVER


def started_elsewhere(state_dir: Path, target: str, failed: str) -> str:
    """The journal of a failover another machine started (a drctl that journaled no lease),
    holding the playbook's lock, whose machine then went away before any step."""
    book = load_playbook(str(PLAYBOOK))
    params = failover_params(FailoverSpec(book, str(PLAYBOOK), target, failed,
                                          FailoverOptions(yes=True)))
    run_id, now = "fa-20261201T070000-e15e0e", datetime.now(UTC)
    state_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(state_dir / "journal.db")
    try:
        store.append(Event(run_id, "run_started", now, data={
            "kind": "failover", "params": params, "user": "alice", "host": ELSEWHERE,
            "pid": 4242}))
        store.acquire_lock(LockHolder(params["lock"], run_id, "alice", ELSEWHERE, 4242, now))
    finally:
        store.close()
    return run_id


def a_lock_held_by_a_machine_that_is_gone_is_taken_over_as_printed(
        cli: Cli, aws: ClientFactory) -> None:
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}  # left above
    run_id = started_elsewhere(cli.state_dir, "us-east-1", "us-west-2")  # a failback

    blocked = cli("failover", "--region", "us-east-1", "--yes")
    assert blocked.returncode == 4, blocked.stderr
    assert f"is in progress: run {run_id} by alice on {ELSEWHERE}" in blocked.stderr
    followed = cli(*hinted(blocked.stderr, "runs show"))
    assert followed.returncode == 0 and run_id in followed.stdout, followed.stderr
    # Resuming without saying the machine is gone is refused, with the same way out.
    resume = cli("failover", "--resume", run_id)
    assert resume.returncode == 4, resume.stderr
    assert hinted(resume.stderr, "failover") == hinted(blocked.stderr, "failover --resume")

    # A failback's pre-flight needs the new primary's heartbeat in us-east-1 (the sandbox's
    # replication lag after the switch above); without it the takeover is refused, rightly.
    wait_for_replicated_heartbeat(aws, 120, writer="us-west-2", into="us-east-1")
    taken = cli(*hinted(blocked.stderr, "failover --resume"), "--json", timeout=600)
    assert taken.returncode == 0, taken.stderr
    run = json.loads(taken.stdout)
    assert (run["run_id"], run["status"]) == (run_id, "succeeded")
    assert estate_snapshot(aws)["weights"] == BACK_HOME


@contextmanager
def reaped(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """The process, killed by pid if a check failed while it still ran."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def interrupted_while_waiting(cli: Cli) -> tuple[str, str]:
    """A failover waiting for a second person's approval (nothing changed yet), stopped by
    SIGTERM: its run id and what it printed on stderr."""
    with reaped(cli.spawn("failover", "--region", "us-west-2", "--approval", "--yes")) as proc:
        run_id = wait_for_status(cli, "waiting", timeout=120)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"run {run_id} is journaled `interrupted`" in err
    assert cli.json("runs", "show", run_id)["status"] == "interrupted"
    return run_id, err


def test_a_stop_before_any_change_prints_resume_and_abort_and_both_work(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    # A fresh estate: the database a failover to us-west-2 promotes must be replicating.
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")

    first, err = interrupted_while_waiting(cli)
    ended = cli(*hinted(err, "runs abort"))  # nothing changed: ends without --force
    assert ended.returncode == 0, ended.stderr
    assert cli.json("runs", "show", first)["status"] == "aborted"

    second, err = interrupted_while_waiting(cli)
    with reaped(cli.spawn(*hinted(err, "failover --resume"), "--json")) as resumed:
        wait_for_status(cli, "waiting", timeout=120)
        approved = cli("approve", second, env=second_person(cli))
        assert approved.returncode == 0, approved.stderr
        out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert json.loads(out)["status"] == "succeeded"
    assert estate_snapshot(aws) == AFTER_FAILOVER


def test_a_resume_whose_playbook_is_gone_uses_the_journaled_copy_or_the_copy_printed(
        make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    path = tmp_path / "ops" / "roadtrip.yaml"
    path.parent.mkdir()
    shutil.copy(PLAYBOOK, path)
    crashed = cli("failover", "--region", "us-west-2", "--yes", "--force", "--playbook",
                  str(path), env={"DRCTL_CRASH_AT": "step_succeeded:switch_dns"})
    assert crashed.returncode < 0, crashed.stderr
    [run] = cli.json("runs", "list")
    shutil.rmtree(path.parent)  # the directory it started in is gone

    # A copy given by mistake that is not there: the hint says how to give one.
    typo = cli("failover", "--resume", run["run_id"], "--playbook", str(tmp_path / "nope.yaml"))
    assert typo.returncode == 2, typo.stderr
    copy = tmp_path / "copy.yaml"
    shutil.copy(PLAYBOOK, copy)
    given = [str(copy) if arg == "COPY" else arg for arg in hinted(typo.stderr, "failover")]
    assert given == ["failover", "--resume", run["run_id"], "--playbook", str(copy)]
    # It works: the run goes on (and the machine dies again, a step further).
    again = cli(*given, env={"DRCTL_CRASH_AT": "step_succeeded:scale_secondary"})
    assert again.returncode < 0, again.stderr
    steps = {s["name"]: s["status"] for s in cli.json("runs", "show", run["run_id"])["steps"]}
    assert steps["scale_secondary"] == "succeeded" and "smoke_test" not in steps  # not begun

    # Without --playbook, the copy the journal kept (same content, by its SHA-256) is used.
    resumed = cli("failover", "--resume", run["run_id"], "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert "journaled" in resumed.stderr and str(path) in resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    assert estate_snapshot(aws) == AFTER_FAILOVER
