"""How a command that ends in an error says so: one readable line (or one per problem) on
stderr, printed verbatim (user text is never rich markup: `exp[prod].json` stays as typed),
and with `--json` exactly one JSON document on stdout: `{"error", "hint", "exit_code"}` —
unless the command already printed its own (a failed run prints the run with its `error`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from drctl.core.errors import DrctlError
from drctl.core.interrupt import Interrupted

# Ctrl-C / SIGTERM: the convention of shells (128 + SIGINT). Documented with the others.
EXIT_INTERRUPTED = 130


class RunInterrupted(DrctlError):
    """A run stopped by Ctrl-C or SIGTERM after it changed something: journaled
    `interrupted`, to be resumed or ended; the hint names both (and what it changed)."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, stop: Interrupted) -> None:
        run_id = stop.run_id
        if run_id is None:
            super().__init__(f"interrupted ({stop.reason}) before a run was journaled; "
                             "nothing was changed")
            return
        super().__init__(f"interrupted ({stop.reason}): run {run_id} is journaled "
                         "`interrupted`",
                         hint=stop.hint or f"resume it with `drctl failover --resume {run_id}`, "
                                           f"or end it with `drctl runs abort {run_id} "
                                           "--reason \"…\"`")
        self.run_id = run_id


@dataclass(frozen=True)
class Failure:
    message: str
    hint: str | None
    exit_code: int

    def document(self) -> dict[str, Any]:
        return {"error": self.message, "hint": self.hint, "exit_code": self.exit_code}


class TrackedStdout:
    """sys.stdout that remembers whether anything was written (so an error does not add a
    second JSON document after the run a failed command already printed), and that outlives
    its reader: `drctl drill ... | head` closes the pipe mid-run, and the write that fails
    must not end the run before its cleanup (a restored table was left behind). Once the
    reader is gone, output is discarded and the run goes on to its end and exit code."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.wrote = False
        self.reader_gone = False

    def write(self, text: str) -> int:
        self.wrote = self.wrote or bool(text)
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._discard()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._discard()

    def _discard(self) -> None:
        """Point the descriptor at /dev/null, so the interpreter's own flush at exit does
        not fail again (Python's documented way to handle EPIPE on stdout)."""
        self.reader_gone = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def wants_json(argv: list[str]) -> bool:
    return "--json" in (argv[: argv.index("--")] if "--" in argv else argv)


def report(failure: Failure, json_out: bool, stdout: TrackedStdout | None) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in failure.message.splitlines() or [""]:
        err.print(Text.assemble(("error: ", "red"), line))
    if failure.hint:
        err.print(Text.assemble(("hint: ", "dim"), failure.hint))
    if json_out and (stdout is None or not stdout.wrote):
        out = stdout or sys.stdout
        out.write(json.dumps(failure.document()) + "\n")
        out.flush()
