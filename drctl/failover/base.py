"""What the six failover steps share: their inputs, and the defaults of the Step contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover.spec import FailoverDeps, FailoverSpec

T = TypeVar("T")

# A failover reads every resource before it changes anything (its plan), then its steps
# apply. A step's apply takes over what its plan read if that read is this recent, instead of
# reading the estate a second time (at 200 services: 25 DescribeServices, 3 Route53 calls at
# 5/s); an older read -- the run waited for an approval, a slow pre-flight -- is read again,
# since its counts may have moved. Once only: a retry or a resume reads afresh.
REUSE_READS_FOR = 30.0


class FailoverStep:
    """A step that plans no change and is never found already done, unless it says otherwise."""

    name = "step"
    policy = StepPolicy()

    def __init__(self, spec: FailoverSpec, deps: FailoverDeps) -> None:
        self.spec, self.deps = spec, deps
        self._kept: dict[str, tuple[datetime, Any]] = {}

    def read(self, name: str, read: Callable[[], T], *, reuse: bool) -> T:
        """`read()`, kept under `name`; with `reuse`, what the last such read returned
        instead, if it began less than REUSE_READS_FOR ago (and it is then forgotten)."""
        now = self.deps.clock.now()
        kept = self._kept.pop(name, None)
        if reuse and kept is not None and (now - kept[0]).total_seconds() < REUSE_READS_FOR:
            return kept[1]
        value = read()
        self._kept[name] = (now, value)
        return value

    def recent(self, name: str) -> Any | None:
        """What the last read kept under `name` returned, if it began less than
        REUSE_READS_FOR ago; None otherwise. Reads nothing and keeps it for `read`."""
        kept = self._kept.get(name)
        if kept is None or (self.deps.clock.now() - kept[0]).total_seconds() >= REUSE_READS_FOR:
            return None
        return kept[1]

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        raise NotImplementedError
