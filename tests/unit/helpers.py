"""Test doubles the unit suite shares: a start time and a scriptable Step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drctl.core.step import Change, StepContext, StepPolicy

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeStep:
    """A Step (drctl/core/step.py) whose behaviour a test scripts.

    `failures` are raised by successive apply() calls, one each, before it starts returning
    `output`. `takes` seconds pass on the context's clock during each apply. Every call is
    recorded in `calls` (shared between steps to see the order) and `seen_facts`.
    """

    name: str
    output: dict[str, Any] = field(default_factory=dict)
    already_done: bool = False
    failures: list[BaseException] = field(default_factory=list)
    takes: float = 0.0
    progress: list[str] = field(default_factory=list)
    policy: StepPolicy = field(default_factory=StepPolicy)
    calls: list[str] = field(default_factory=list)
    seen_facts: list[dict[str, Any]] = field(default_factory=list)

    def plan(self, ctx: StepContext) -> list[Change]:
        return [Change(self.name, "do", self.name)]

    def verify(self, ctx: StepContext) -> bool:
        self.calls.append(f"verify:{self.name}")
        return self.already_done

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        self.calls.append(f"apply:{self.name}")
        self.seen_facts.append(dict(ctx.facts))
        for message in self.progress:
            ctx.report(message)
        if self.takes:
            ctx.clock.sleep(self.takes)
        if self.failures:
            raise self.failures.pop(0)
        return dict(self.output)

    @property
    def applied(self) -> int:
        return self.calls.count(f"apply:{self.name}")


@dataclass(frozen=True)
class Figures:
    """A measurement (drctl/core/measured.py) whose document a test sets."""

    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


def process_running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped (by init, after a kill)."""
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
