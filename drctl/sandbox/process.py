"""Finding and ending the supervisor process by its pid -- and only that process.

A pidfile can outlive its process and the pid can be reused by something else, so a pid counts as
our supervisor only while `/proc/PID/cmdline` names `drctl.sandbox.supervisor`. Where there is no
/proc (macOS), a live pid is trusted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

SUPERVISOR_MODULE = "drctl.sandbox.supervisor"


def is_supervisor(pid: int) -> bool:
    """True while `pid` is a live (not zombie) sandbox supervisor."""
    _reap(pid)
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():
        return _exists(pid)
    try:
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    # A zombie has an empty cmdline, so it never matches: it is dead for our purposes.
    return SUPERVISOR_MODULE in cmdline


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM `pid`, wait up to `timeout` for it to exit, then SIGKILL it."""
    _signal(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout):
        return
    _signal(pid, signal.SIGKILL)
    _wait_gone(pid, 5.0)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_supervisor(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    _collect(pid)
    return True


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _reap(pid: int) -> bool:
    """Collect `pid` if it is our exited child. True when there is nothing (left) to collect.

    When this process is the supervisor's parent (the test suite is), an exited supervisor stays
    a zombie -- still in /proc -- until it is collected here.
    """
    try:
        collected, _ = os.waitpid(pid, os.WNOHANG)
    except (ChildProcessError, OSError):
        return True  # not our child: its own parent (or init) collects it
    return collected == pid


def _collect(pid: int, timeout: float = 2.0) -> None:
    # A process loses its cmdline a moment before it can be collected; wait for that moment.
    deadline = time.monotonic() + timeout
    while not _reap(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
