"""Stop signals that arrive while drctl is still starting.

Until the command's own handlers are in place (drctl/cli/signals.py, installed by the root
callback), Python's defaults apply: SIGTERM and SIGHUP kill the process on the spot (exit
143/129, no word said) and Ctrl-C raises KeyboardInterrupt wherever an import happens to be.
Starting takes a second or more on a busy machine (typer, boto3), so the `drctl` script installs
these handlers first, before anything slow is imported: they only record the signal. The root
callback takes the record once its own handlers are in place and ends the command there
(exit 3: stopped before anything was started), as documented for every stop.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}

_received: list[int] = []


def install_if_drctl_script() -> None:
    """Only in the `drctl` process itself (`drctl …` or `python -m drctl`): a program that
    imports drctl (a test run, the controller's host) keeps its own signal handling."""
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if script in ("drctl", "__main__.py") and \
            threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, _record)


def _record(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)


def take() -> str | None:
    """The first stop received while starting (its name), forgetting them all; None if none."""
    first = NAMES.get(signal.Signals(_received[0])) if _received else None
    _received.clear()
    return first
