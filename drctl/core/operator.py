"""The person at the keyboard, as a port: real console, or scripted answers in tests."""

from __future__ import annotations

import sys
from typing import Protocol


class Operator(Protocol):
    @property
    def interactive(self) -> bool:
        """True when there is a person to ask (a TTY)."""
        ...

    def ask(self, prompt: str) -> str: ...


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


class ScriptedOperator:
    """Answers from a list, in order; `interactive=False` models a cron job or CI."""

    def __init__(self, answers: list[str] | None = None, interactive: bool = True) -> None:
        self.answers = list(answers or [])
        self.prompts: list[str] = []
        self._interactive = interactive

    @property
    def interactive(self) -> bool:
        return self._interactive

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0) if self.answers else ""
