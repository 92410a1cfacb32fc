"""`drctl report` stopped by Ctrl-C in its own process, while it writes (issue 14): exit 3,
one line saying what was not done, no file left half-written.

End-to-end truths about a real process and a real signal (no sandbox needed): each starts an
interpreter and imports matplotlib, so they live here, not in the fast unit tier."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.report_journal import report_history

SINCE = ["--since", "2025-12-01T00:00:00Z"]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report_history(tmp_path_factory.mktemp("state"))


def interrupted(state: Path, *args: str, blocked_in: str) -> subprocess.CompletedProcess[str]:
    """`drctl report` in its own process, sent SIGINT once it is blocked in the kernel
    (`blocked_in`, its /proc wchan): the report is being written, not yet done."""
    proc = subprocess.Popen([sys.executable, "-m", "drctl", "--state-dir", str(state), "report",
                             *SINCE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 300  # importing matplotlib on a busy machine
        while Path(f"/proc/{proc.pid}/wchan").read_text() != blocked_in:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"never blocked in {blocked_in}: {proc.communicate()}")
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")
def test_ctrl_c_while_printing_says_the_report_is_incomplete(state_dir: Path) -> None:
    done = interrupted(state_dir, "--format", "html", blocked_in="anon_pipe_write")
    assert done.returncode == 3  # a stop that leaves nothing to resume (README, Exit codes)
    assert done.stderr.strip().splitlines() == [
        "error: stopped (Ctrl-C): the report is incomplete; a report changes nothing, run it "
        "again"]


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")
def test_ctrl_c_while_writing_a_file_leaves_no_file(state_dir: Path, tmp_path: Path) -> None:
    """The file is written beside its name first; that one is a FIFO here, so the write
    blocks until the signal comes."""
    out = tmp_path / "report.html"
    os.mkfifo(tmp_path / ".report.html.partial")
    done = interrupted(state_dir, "--format", "html", "--out", str(out),
                       blocked_in="wait_for_partner")
    assert done.returncode == 3
    assert f"error: stopped (Ctrl-C): {out} was not written" in done.stderr
    assert list(tmp_path.iterdir()) == []
