"""The person at the keyboard, as a port: real console, or scripted answers in tests."""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable
from typing import Protocol

POLL = 0.5  # seconds between looks at `stop()` while a bounded question waits


class Operator(Protocol):
    @property
    def interactive(self) -> bool:
        """True when there is a person to ask (a TTY)."""
        ...

    def ask(self, prompt: str) -> str: ...

    def ask_within(self, prompt: str, timeout: float, stop: Callable[[], bool]) -> str | None:
        """`ask`, but None when no answer came within `timeout` seconds or `stop()` (polled
        while waiting; it may raise, e.g. an interruption) said the wait is over."""
        ...


class ConsoleOperator:
    def __init__(self, stream_in=sys.stdin, stream_out=sys.stderr) -> None:  # type: ignore[no-untyped-def]
        self._in = stream_in
        self._out = stream_out

    @property
    def interactive(self) -> bool:
        return bool(self._in and self._in.isatty())

    def ask(self, prompt: str) -> str:
        self._out.write(prompt)
        self._out.flush()
        line = self._in.readline()
        if not line:
            return ""
        return line.strip()

    def ask_within(self, prompt: str, timeout: float, stop: Callable[[], bool]) -> str | None:
        """A terminal delivers a line to one read once Enter is pressed, so the descriptor is
        read directly (a buffered readline could swallow the next answer typed ahead)."""
        self._out.write(prompt)
        self._out.flush()
        fd, give_up = self._in.fileno(), time.monotonic() + timeout
        try:
            while (left := give_up - time.monotonic()) > 0 and not stop():
                ready, _, _ = select.select([fd], [], [], min(POLL, left))
                if ready:
                    return os.read(fd, 65536).decode("utf-8", "replace").strip()
        except BaseException:  # Ctrl-C, a stop: what is said next starts on its own line
            self._out.write("\n")
            raise
        self._out.write("\n")  # the prompt's line is left unanswered
        return None


class ScriptedOperator:
    """Answers from a list, in order; `interactive=False` models a cron job or CI."""

    def __init__(self, answers: list[str | None] | None = None,
                 interactive: bool = True) -> None:
        self.answers = list(answers or [])
        self.prompts: list[str] = []
        self.bounds: list[float] = []
        self._interactive = interactive

    @property
    def interactive(self) -> bool:
        return self._interactive

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0) or "" if self.answers else ""

    def ask_within(self, prompt: str, timeout: float, stop: Callable[[], bool]) -> str | None:
        """The next answer; None in the list is nobody answering within `timeout` (kept in
        `bounds`), and `stop()` is asked first, as a terminal's wait polls it."""
        self.prompts.append(prompt)
        self.bounds.append(timeout)
        if stop():
            return None
        return self.answers.pop(0) if self.answers else ""
