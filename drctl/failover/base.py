"""What the six failover steps share: their inputs, and the defaults of the Step contract."""

from __future__ import annotations

from typing import Any

from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover.spec import FailoverDeps, FailoverSpec


class FailoverStep:
    """A step that plans no change and is never found already done, unless it says otherwise."""

    name = "step"
    policy = StepPolicy()

    def __init__(self, spec: FailoverSpec, deps: FailoverDeps) -> None:
        self.spec, self.deps = spec, deps

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        raise NotImplementedError
