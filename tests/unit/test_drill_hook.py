"""A drill's validation hook: a timed-out hook leaves no process behind."""

from __future__ import annotations

import time
from pathlib import Path

from drctl.drill.db_check import run_command
from tests.unit.helpers import process_running


def test_a_timed_out_hook_has_its_whole_process_group_killed(tmp_path: Path) -> None:
    child = tmp_path / "child.pid"
    script = f"sleep 30 & echo $! > {child}; wait"

    code, output = run_command(["sh", "-c", script], {}, 1.0)

    assert (code, output) == (124, "timed out after 1s")
    pid = int(child.read_text())
    deadline = time.monotonic() + 5
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(pid), f"the hook's child {pid} outlived the hook"


def test_a_hook_reports_its_exit_code_and_output() -> None:
    assert run_command(["sh", "-c", "echo $X; exit 3"], {"X": "hello"}, 5) == (3, "hello")
    assert run_command(["/no/such/hook"], {}, 5)[0] == 127
