"""`drctl runs list|show`, in process: exit codes, `--json` shapes and bad input, through the
real entry point (`drctl.cli.main.main`) against a SQLite journal in a temporary state dir."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from drctl.cli.main import main
from drctl.cli.render import render_runs
from drctl.core.durations import format_duration
from drctl.core.events import JOURNAL_VERSION, Event
from drctl.core.store import list_summaries
from drctl.store.sqlite import SqliteStore
from drctl.store.sqlite_file import SCHEMA_VERSION
from tests.unit.helpers import T0

DOCUMENTED = {
    "version", "run_id", "kind", "status", "started_at", "ended_at", "playbook", "playbook_path",
    "target", "rto_seconds", "rto_target_seconds", "rto_met", "rpo_seconds", "rpo_target_seconds",
    "rpo_met", "targets_met", "verdict", "trigger", "error", "line", "owner"}


class Drctl:
    def __init__(self, state_dir: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.state_dir, self._capsys, self._monkeypatch = state_dir, capsys, monkeypatch

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self._monkeypatch.setattr(sys, "argv", ["drctl", "--state-dir", str(self.state_dir),
                                                *args])
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = self._capsys.readouterr()
        assert "Traceback" not in err, err
        return code, out, err


@pytest.fixture
def drctl(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Drctl:
    # The CLI's process-wide settings are put back by tests/unit/conftest.py.
    monkeypatch.delenv("DRCTL_STATE", raising=False)
    return Drctl(tmp_path / "state", capsys, monkeypatch)


def journal_runs(state_dir: Path, version: int = JOURNAL_VERSION) -> None:
    store = SqliteStore(state_dir / "journal.db")
    for n, run_id in enumerate(("fo-20260101T120000-aaaaaa", "dr-20260101T121000-bbbbbb")):
        at = T0 + timedelta(minutes=10 * n)
        kind = "failover" if n == 0 else "drill"
        store.append(Event(run_id, "run_started", at, data={
            "kind": kind, "params": {"playbook": "roadtrip", "target_region": "us-west-2"},
            "version": version, "user": "u", "host": "h", "pid": 1}))
        store.append(Event(run_id, "run_measured", at, data={"measurement": {
            "rto_seconds": 30.0, "rto_target_seconds": 3600.0, "rpo_seconds": None,
            "rpo_target_seconds": 900.0}}))
        store.append(Event(run_id, "run_finished", at + timedelta(seconds=30),
                           data={"status": "succeeded"}))
    store.close()


def test_runs_list_json_is_an_array_of_run_objects_newest_first(drctl: Drctl) -> None:
    journal_runs(drctl.state_dir)

    code, out, _ = drctl("runs", "list", "--json")

    assert code == 0
    runs = json.loads(out)
    assert [r["run_id"] for r in runs] == ["dr-20260101T121000-bbbbbb",
                                          "fo-20260101T120000-aaaaaa"]
    assert set(runs[0]) == DOCUMENTED
    assert (runs[1]["rto_met"], runs[1]["rpo_met"], runs[1]["targets_met"]) == (True, None, None)


def table_rows(state_dir: Path) -> list[list[str]]:
    """`runs list` as people see it, each row's cells (a console wide enough not to wrap)."""
    store = SqliteStore(state_dir / "journal.db")
    console = Console(width=400, file=io.StringIO(), record=True)
    render_runs(console, list_summaries(store))
    store.close()
    lines = console.export_text().splitlines()
    return [[cell.strip() for cell in line.strip("│").split("│")]
            for line in lines if line.startswith("│")]  # the header is drawn with ┃


def shown(run: dict[str, Any]) -> list[str]:
    """What each column shows, computed from the run's JSON object alone."""
    def figure(name: str) -> str:
        seconds = run[f"{name}_seconds"]
        if seconds is None:
            return "-"
        return format_duration(seconds) + ("" if run[f"{name}_met"] else " MISSED")

    verdict = run["verdict"] or {True: "met", False: "MISSED", None: "-"}[run["targets_met"]]
    return [run["run_id"], run["kind"], run["status"], run["started_at"], run["target"] or "-",
            verdict, figure("rto"), figure("rpo"), run["line"] or "-"]


def test_runs_list_json_carries_every_column_of_the_table(drctl: Drctl) -> None:
    journal_runs(drctl.state_dir)
    store = SqliteStore(drctl.state_dir / "journal.db")
    at = T0 + timedelta(minutes=30)
    store.append(Event("ch-20260101T123000-cccccc", "run_started", at, data={
        "kind": "chaos", "params": {"experiment": "ecs-task-loss"}, "version": JOURNAL_VERSION,
        "user": "u", "host": "h", "pid": 1}))
    store.append(Event("ch-20260101T123000-cccccc", "run_measured", at, data={"measurement": {
        "verdict": "passed", "verdict_reason": "steady state held", "rto_seconds": 4000.0,
        "rto_target_seconds": 3600.0}}))
    store.append(Event("ch-20260101T123000-cccccc", "run_finished", at,
                       data={"status": "succeeded"}))
    store.close()

    code, out, _ = drctl("runs", "list", "--json")

    assert code == 0
    runs = json.loads(out)
    assert table_rows(drctl.state_dir) == [shown(run) for run in runs]
    assert [run["line"] for run in runs] == ["passed: steady state held", "drill of ?",
                                             "? -> us-west-2"]


def test_runs_list_filters_by_kind(drctl: Drctl) -> None:
    journal_runs(drctl.state_dir)

    code, out, _ = drctl("runs", "list", "--kind", "failover", "--json")

    assert code == 0 and [r["kind"] for r in json.loads(out)] == ["failover"]


def test_runs_show_expands_a_prefix(drctl: Drctl) -> None:
    journal_runs(drctl.state_dir)

    code, out, _ = drctl("runs", "show", "fo-", "--json")

    assert code == 0 and json.loads(out)["run_id"] == "fo-20260101T120000-aaaaaa"


def test_an_empty_journal_lists_nothing(drctl: Drctl) -> None:
    assert drctl("runs", "list", "--json")[:2] == (0, "[]\n")


@pytest.mark.parametrize("args, message", [
    (("runs", "show", "nope"), "no run 'nope'"),
    (("runs", "show", ""), "no run id given"),
    (("runs", "list", "--since", "yesterday"), "--since"),
    (("runs", "list", "--since", "2026-12-01"), "--since"),
    (("runs", "list", "--limit", "0"), "--limit"),
])
def test_bad_input_is_exit_2_with_one_clear_message(
    drctl: Drctl, args: tuple[str, ...], message: str
) -> None:
    journal_runs(drctl.state_dir)

    code, out, err = drctl(*args)

    assert code == 2 and out == ""
    assert message in err


def test_a_corrupt_journal_is_exit_2_with_the_way_out(drctl: Drctl) -> None:
    drctl.state_dir.mkdir(parents=True)
    (drctl.state_dir / "journal.db").write_bytes(b"this is not a database" * 500)

    code, _, err = drctl("runs", "list")

    assert code == 2
    assert "is corrupt" in err and f"mv {drctl.state_dir / 'journal.db'}* " in err


def test_a_journal_from_a_newer_drctl_is_exit_2(drctl: Drctl) -> None:
    journal_runs(drctl.state_dir)
    db = sqlite3.connect(drctl.state_dir / "journal.db")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()

    code, _, err = drctl("runs", "list")

    assert code == 2 and "newer drctl" in err


def test_a_run_journaled_by_a_newer_drctl_is_exit_2(drctl: Drctl) -> None:
    journal_runs(drctl.state_dir)
    store = SqliteStore(drctl.state_dir / "journal.db")
    store._db.execute("UPDATE events SET data = json_set(data, '$.version', ?) "
                      "WHERE type = 'run_started'", (JOURNAL_VERSION + 1,))
    store.close()

    code, _, err = drctl("runs", "show", "fo-")

    assert code == 2 and "journaled by a newer drctl" in err
