"""The Step contract shared by failovers, drills and runbooks.

A step is `plan()` (what it would change, as data: `--dry-run` and `drctl plan` print it),
`verify()` (is the desired state already there? — checked first, so a resumed run never does
work twice) and `apply()` (do it and wait until done; returns facts later steps build on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from drctl.core.clock import Clock
from drctl.core.errors import StepFailed
from drctl.core.events import Event
from drctl.core.interrupt import Interruption


@dataclass(frozen=True)
class Change:
    """One change a step would make, e.g. `set weight of api.roadcopilot.com/us-west-2 0 -> 100`."""

    step: str
    action: str
    target: str
    region: str | None = None
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step, "action": self.action, "target": self.target,
            "region": self.region, "before": self.before, "after": self.after,
        }


@dataclass(frozen=True)
class StepPolicy:
    retries: int = 0            # extra attempts after a failed apply (AWS errors only)
    retry_delay: float = 2.0
    # A step that stands for the whole run (a runbook's wrapper): its time runs from the
    # first start across resumes. Any other step started again after a resume is timed
    # from that attempt: the time the run stood stopped is not the step's.
    spans_resumes: bool = False


class Journal(Protocol):
    """A step's view of its own run's journal: for steps that wait on other processes
    (an approval given from another shell lands in the same journal)."""

    def emit(self, type_: str, **data: Any) -> None: ...

    def emit_many(self, type_: str, payloads: Sequence[dict[str, Any]]) -> None: ...

    def events(self) -> list[Event]: ...


@dataclass
class StepContext:
    run_id: str
    clock: Clock
    facts: dict[str, Any] = field(default_factory=dict)
    report: Callable[[str], None] = lambda message: None
    journal: Journal | None = None
    interrupt: Interruption = field(default_factory=Interruption)

    def now(self) -> datetime:
        return self.clock.now()

    def record_change(self, change: Change, applied: bool = True) -> None:
        """Journal a change the step is about to make (`applied=False`: `change_started`) or
        has just made (`change_applied`): the record of what a run changed must survive a
        crash at any point."""
        self.record_changes([change], applied)

    def record_changes(self, changes: Sequence[Change], applied: bool = True) -> None:
        """`record_change` for a batch, in one durable write: a step that makes its changes
        at once (one Route53 change batch, a wave of parallel scaling calls) journals them all
        started before the first call, and those AWS accepted after the calls returned."""
        if self.journal is not None and changes:
            self.journal.emit_many("change_applied" if applied else "change_started",
                                   [change.to_dict() for change in changes])

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Around a call that creates something and is not idempotent (a restore, a bucket):
        a stop is not delivered in the middle of it. A call cut short after the request left
        may still create the resource -- after the cleanup looked for it, so nothing would
        delete it. The stop waits for the answer (one API call), then takes effect here."""
        with self.interrupt.shielded():
            yield
        self.interrupt.check()

    def wait_until(
        self, check: Callable[[], bool], *, timeout: float, interval: float, what: str
    ) -> float:
        """Poll `check` until true; returns seconds waited. Raises StepFailed on timeout,
        Interrupted when a stop is requested (each poll is a safe point)."""
        start = self.clock.now()
        last_report = -1.0
        while True:
            self.interrupt.check()
            if check():
                return (self.clock.now() - start).total_seconds()
            waited = (self.clock.now() - start).total_seconds()
            if waited >= timeout:
                raise StepFailed(f"timed out after {waited:.0f}s waiting for {what}")
            if waited - last_report >= 5 or last_report < 0:
                self.report(f"waiting for {what} ({waited:.0f}s)")
                last_report = waited
            self.clock.sleep(interval)


class Step(Protocol):
    name: str
    policy: StepPolicy

    def plan(self, ctx: StepContext) -> list[Change]: ...

    def verify(self, ctx: StepContext) -> bool: ...

    def apply(self, ctx: StepContext) -> dict[str, Any]: ...
