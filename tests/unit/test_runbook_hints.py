"""The commands that answer a waiting runbook run point at each other: `drctl approve` on a run
waiting at a manual step prints the `drctl runbook ack` that continues it (and the test runs
that hint), `drctl runbook ack` on a run waiting for an approval names `drctl approve`. In
process, on the fake Aws and a SQLite journal the runner shares with the CLI."""

from __future__ import annotations

import re
import shlex
import threading
import time
from pathlib import Path

import pytest

from drctl.app import Collaborators
from drctl.aws.fake import FakeAws
from drctl.cli.main import run as drctl_main
from drctl.core.clock import SystemClock
from drctl.core.run import Run, RunStatus
from drctl.store.sqlite import SqliteStore
from tests.unit import fake_estate
from tests.unit.helpers import T0
from tests.unit.test_runbook_runner import Host, runbook_file


def drctl(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = drctl_main(list(argv), Collaborators(FakeAws(fake_estate.estate(T0))))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, " ".join((out + err).split())


class Waiting:
    """A runbook run on a thread, journaled where the in-process CLI reads (DRCTL_STATE_DIR)."""

    def __init__(self, tmp_path: Path, block: str) -> None:
        self.host = Host(tmp_path, clock=SystemClock())
        self.host.store = SqliteStore(tmp_path / "state" / "journal.db")
        path = runbook_file(tmp_path, block, "id: after\naction: sleep\nduration: 0s")
        self.result: list[Run] = []
        self.thread = threading.Thread(target=lambda: self.result.append(self.host.start(path)))

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ids = self.host.store.run_ids("runbook")
            if ids and any(e.type == "run_waiting" for e in self.host.store.events(ids[0])):
                return ids[0]
            time.sleep(0.05)
        raise AssertionError("the run never waited")

    def __exit__(self, *exc: object) -> None:
        self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "the run did not end"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "state").mkdir()
    return tmp_path / "state"


def test_approve_at_a_manual_step_hints_the_ack_that_continues_it(
        tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    waiting = Waiting(tmp_path, "id: look\naction: manual\ninstructions: look at it")
    with waiting as run_id:
        code, said = drctl(capsys, "approve", run_id)
        assert code == 2, said
        assert "waits at manual step look, not for an approval" in said
        hint = re.search(r"`(drctl runbook ack [^`]+)`", said)
        assert hint is not None, said
        argv = shlex.split(hint.group(1))[1:]
        code, said = drctl(capsys, *argv)
        assert code == 0, said
    [run] = waiting.result
    assert run.status is RunStatus.SUCCEEDED
    assert run.step("look").output["note"] == "what you did"
    assert run.step("look").output["via"] == "drctl runbook ack"


def test_ack_at_an_approval_names_drctl_approve(
        tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    waiting = Waiting(tmp_path, "id: go\naction: approve\nsummary: go on")
    with waiting as run_id:
        code, said = drctl(capsys, "runbook", "ack", run_id)
        assert code == 2, said
        assert f"another person runs `drctl approve {run_id}`" in said
        # The CLI's person (the fake AWS caller) is not the run's executor: it may approve.
        hint = re.search(r"`(drctl approve [^`]+)`", said)
        assert hint is not None, said
        code, said = drctl(capsys, *shlex.split(hint.group(1))[1:])
        assert code == 0, said
    assert waiting.result[0].status is RunStatus.SUCCEEDED
