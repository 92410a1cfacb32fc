"""The sandbox supervisor process, run in the foreground (the manager daemonizes it):

    python -m drctl.sandbox.supervisor --state-dir DIR --port PORT --replication-lag SECONDS

It starts the embedded sandbox, writes `DIR/sandbox/state.json` when it is ready, and on SIGTERM or
SIGINT stops every part and removes the state file. It exits 1 if the sandbox cannot start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import structlog

from drctl.sandbox.files import SandboxFiles


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m drctl.sandbox.supervisor")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0, help="moto port; 0 picks a free one")
    parser.add_argument("--replication-lag", type=float, default=5.0, help="seconds")
    parser.add_argument("--faults", default="{}", help="initial fault settings (JSON)")
    parser.add_argument("--estate-size", type=int, default=0, help="extra services to seed")
    return parser.parse_args(argv)


def configure_logging(log_file: TextIO) -> None:
    """JSON lines into the supervisor log: it is read by tools and by `drctl sandbox logs`."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.WriteLoggerFactory(file=log_file),
        cache_logger_on_first_use=True,
    )


class StopRequest:
    """Set by SIGTERM or SIGINT. Installed before the sandbox starts, so that a signal during
    startup still ends in a clean shutdown rather than the default abrupt exit."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._event = threading.Event()
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum
        self._event.set()

    def wait(self) -> None:
        while not self._event.wait(1.0):  # a timed wait keeps the main thread taking signals
            pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = SandboxFiles(args.state_dir.resolve())
    files.ensure_directory()
    with files.log.open("a", buffering=1) as log_file:
        configure_logging(log_file)
        return run(files, args.port, args.replication_lag, json.loads(args.faults),
                   args.estate_size)


def run(files: SandboxFiles, port: int, replication_lag: float, faults: dict[str, Any],
        estate_size: int = 0) -> int:
    # Imported here so that `--help` and argument errors do not pay for importing moto.
    from drctl.sandbox.faults import FaultSettings
    from drctl.sandbox.runtime import EmbeddedSandbox

    log = structlog.get_logger(__name__)
    stop = StopRequest()
    sandbox = None
    try:
        sandbox = EmbeddedSandbox(files, port, replication_lag, FaultSettings.from_dict(faults),
                                  estate_size)
        sandbox.start()
        stop.wait()
        log.info("stopping", signal=signal.Signals(stop.signum or signal.SIGTERM).name)
        return 0
    except Exception:
        log.exception("sandbox_failed")
        return 1
    finally:
        if sandbox is not None:
            sandbox.stop()


if __name__ == "__main__":
    code = main()
    # Stopped and its log closed: nothing is left to do. Exit without the interpreter's own
    # teardown, which frees moto's whole heap object by object (a 100,000-item table took
    # over 40 s on a loaded machine, past `drctl sandbox down`'s wait before SIGKILL).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
