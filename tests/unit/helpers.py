"""Test doubles the unit suite shares: a start time and a scriptable Step."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from drctl.core.figures import DrillFigures, FailoverFigures
from drctl.core.measurement import Measurement
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


def failover_figures(rto_seconds: float | None = 1.0) -> FailoverFigures:
    """A failover's typed figures, as its measure() returns them."""
    return FailoverFigures(Measurement(T0, "operator", None, rto_seconds, None, 3600, 900))


def drill_figures(**changes: Any) -> DrillFigures:
    """A drill's typed figures (a restore that never validated), with `changes`."""
    recovery = Measurement(T0, "restore start", None, None, None, 3600, 900)
    figures = DrillFigures(recovery, "dynamodb:t", "pitr", T0, T0, None, None, None, None,
                           None, None, None, [], None, None, "RPO not measured", False)
    return replace(figures, **changes)


def process_running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped (by init, after a kill)."""
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
