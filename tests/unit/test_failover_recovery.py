"""A failover that stopped half way: the failed run that holds the lock can be ended, ending
one that changed the estate is done knowingly, and every way out printed is a command that
works — run here, as printed, through the real entry point."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from drctl.cli.main import main
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked, DrctlError, InvalidInput, NotConfirmed
from drctl.core.identity import Identity
from drctl.core.operator import ScriptedOperator
from drctl.core.run import Run, RunStatus
from drctl.failover import lock
from drctl.failover.recovery import abort_leaves, confirm_abort, recovery_advice
from drctl.store.base import LockHolder, Store, load_run
from drctl.store.sqlite import SqliteStore
from tests.hints import hinted
from tests.unit.helpers import T0, FakeStep

LOCK = "failover:roadtrip"
PARAMS = {"playbook": "roadtrip", "playbook_path": "/srv/dr/roadtrip.yaml",
          "target_region": "us-west-2", "failed_region": "us-east-1", "lock": LOCK}


def failed_failover(store: Store, scaled: bool = False) -> str:
    """A failover that switched DNS, then failed (at scale_secondary, or after it)."""
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("failover", PARAMS)
    store.acquire_lock(LockHolder(LOCK, run_id, "alice", "host-a", 7, T0))
    steps = [FakeStep("detect"), FakeStep("confirm"), FakeStep("switch_dns"),
             FakeStep("scale_secondary", failures=[] if scaled else [DrctlError("max size")]),
             FakeStep("smoke_test", failures=[DrctlError("503")] if scaled else [])]
    with pytest.raises(DrctlError):
        engine.execute(run_id, steps)
    return run_id


def test_a_failed_run_that_holds_the_lock_can_be_ended(store: Store) -> None:
    run_id = failed_failover(store)
    assert load_run(store, run_id).status is RunStatus.FAILED
    assert store.lock(LOCK) is not None

    ended = Engine(store, FakeClock(T0)).abort(run_id, "rolling back")

    assert ended.status is RunStatus.ABORTED
    assert (ended.error or "").endswith(": rolling back (it had failed: max size)")
    assert store.lock(LOCK) is None
    with pytest.raises(InvalidInput, match="already aborted"):
        Engine(store, FakeClock(T0)).abort(run_id, "again")


def test_a_failed_run_without_a_lock_is_over_already(store: Store) -> None:
    run_id = failed_failover(store)
    store.release_lock(LOCK, run_id)
    with pytest.raises(InvalidInput, match="already failed"):
        Engine(store, FakeClock(T0)).abort(run_id, "why")


def run_of(store: Store, scaled: bool) -> Run:
    return load_run(store, failed_failover(store, scaled))


def test_what_an_abort_leaves_names_the_ways_on(store: Store) -> None:
    leaves = abort_leaves(run_of(store, scaled=False))
    assert leaves is not None
    assert leaves["changed"] == "already changed: switch_dns done, scale_secondary partly done"
    assert "traffic goes to us-west-2" in leaves["left"]
    assert "not be at production capacity" in leaves["left"]
    assert ("`drctl failover --region us-west-2 --playbook /srv/dr/roadtrip.yaml`"
            in leaves["resume"])
    assert "`drctl failover --region us-east-1 --playbook /srv/dr/roadtrip.yaml`" in \
        leaves["roll_back"]


def test_once_scaled_nothing_is_left_to_finish(store: Store) -> None:
    leaves = abort_leaves(run_of(store, scaled=True))
    assert leaves is not None
    assert "at production capacity" in leaves["left"]
    assert "drctl failover --region us-west-2" not in leaves["resume"]


def test_a_run_that_changed_nothing_leaves_nothing(store: Store) -> None:
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("failover", PARAMS)
    with pytest.raises(DrctlError):
        engine.execute(run_id, [FakeStep("detect"),
                                FakeStep("confirm", failures=[DrctlError("no")])])
    run = load_run(store, run_id)
    assert abort_leaves(run) is None and recovery_advice(run) is None


def test_ending_a_run_that_changed_the_estate_is_confirmed(store: Store) -> None:
    run = run_of(store, scaled=False)
    with pytest.raises(NotConfirmed) as refused:
        confirm_abort(ScriptedOperator(interactive=False), run, "roll back")
    assert refused.value.hint == (f"to end it anyway: `drctl runs abort {run.run_id} "
                                  "--reason 'roll back' --force`")
    with pytest.raises(NotConfirmed):
        confirm_abort(ScriptedOperator(["no"]), run, "roll back")
    confirm_abort(ScriptedOperator(["abort"]), run, "roll back")


def drctl(state: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
          *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["drctl", "--state-dir", str(state), *args])
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out + err


def test_the_printed_roll_back_ends_the_failed_run(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRCTL_STATE", raising=False)
    state = tmp_path / "state"
    store = SqliteStore(state / "journal.db")
    run = run_of(store, scaled=False)
    advice = recovery_advice(run)
    assert advice is not None

    # Without a terminal the abort asks for --force, and says so with a command that works.
    code, err = drctl(state, capsys, monkeypatch, "runs", "abort", run.run_id, "--reason", "x")
    assert code == 3, err
    assert "already changed: switch_dns done" in err and "traffic goes to us-west-2" in err
    assert store.lock(LOCK) is not None

    code, err = drctl(state, capsys, monkeypatch, *hinted(advice["roll_back"], "runs abort"))
    assert code == 0, err
    assert load_run(store, run.run_id).status is RunStatus.ABORTED
    assert store.lock(LOCK) is None
    journaled = load_run(store, run.run_id).recovery
    assert "traffic goes to us-west-2" in journaled["left"]


def test_the_lock_refusal_names_an_abort_that_works_without_a_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A second failover, refused by a run that changed the estate: the abort its hint names
    ends that run as printed (no terminal here, so it must carry --force)."""
    monkeypatch.delenv("DRCTL_STATE", raising=False)
    state = tmp_path / "state"
    store = SqliteStore(state / "journal.db")
    run_id = failed_failover(store)
    with pytest.raises(Blocked) as refused:
        lock.acquire(store, "roadtrip", "fo-second", FakeClock(T0),
                     Identity("bob", "host-b", 8, "boot:2"))

    code, err = drctl(state, capsys, monkeypatch, *hinted(refused.value.hint or "", "runs abort"))
    assert code == 0, err
    assert load_run(store, run_id).status is RunStatus.ABORTED
    assert store.lock(LOCK) is None


def test_resuming_a_reprotect_as_a_failover_names_the_command_that_continues_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRCTL_STATE", raising=False)
    state = tmp_path / "state"
    book = Path(__file__).resolve().parents[2] / "playbooks" / "roadtrip.yaml"
    run_id = Engine(SqliteStore(state / "journal.db"), FakeClock(T0)).start(
        "reprotect", {"playbook": "roadtrip", "playbook_path": str(book),
                      "target_region": "us-east-1"})

    code, err = drctl(state, capsys, monkeypatch, "failover", "--resume", run_id)
    assert code == 2, err
    assert f"run {run_id} is a reprotect, not a failover" in err
    assert (f"`drctl reprotect --region us-east-1 --playbook {book}`"
            in " ".join(err.split())), err
