"""Running a run's steps: verify before apply, retries of AWS errors, an event before and after
each step. The engine (drctl/core/engine.py) decides what the outcome means for the run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from drctl.core.clock import Clock
from drctl.core.ending import failure_message
from drctl.core.errors import AwsError, DrctlError
from drctl.core.events import Event
from drctl.core.interrupt import Interruption
from drctl.core.keeper import RunLeases
from drctl.core.run import Run, StepStatus
from drctl.core.step import Step, StepContext


class Emit(Protocol):
    def __call__(self, run_id: str, type_: str, step: str | None = None, **data: Any
                 ) -> Event: ...


class StepRunner:
    """Steps of one engine: events go through `emit`, waits through `clock`, stops through
    `interrupt`; before each step, `leases` says whether this process still owns the run."""

    def __init__(self, emit: Emit, clock: Clock, interrupt: Interruption,
                 leases: RunLeases) -> None:
        self.emit, self.clock, self.interrupt, self.leases = emit, clock, interrupt, leases

    def run_pending(self, ctx: StepContext, run: Run, steps: Sequence[Step], total: int
                    ) -> BaseException | None:
        """Every step from the first one not already succeeded; the failure that stopped them
        (a DrctlError, a stop, or LeaseLost) is returned, not raised."""
        try:
            for index, step in enumerate(steps, start=1):
                if run.step(step.name).status is StepStatus.SUCCEEDED:
                    continue
                self.interrupt.check()
                lost = self.leases.lost(run.run_id)
                if lost is not None:
                    raise lost
                ctx.facts.update(self.run_step(ctx, step, index, total))
        except (DrctlError, KeyboardInterrupt) as exc:
            return exc
        return None

    def run_always(self, ctx: StepContext, steps: Sequence[Step], done: int, total: int
                   ) -> BaseException | None:
        """Every step, whatever the one before did; the first failure is returned. Shielded:
        a stop requested now does not cut a cleanup short."""
        first: BaseException | None = None
        with self.interrupt.shielded():
            for index, step in enumerate(steps, start=done + 1):
                try:
                    ctx.facts.update(self.run_step(ctx, step, index, total))
                except (DrctlError, KeyboardInterrupt) as exc:
                    first = first or exc
        return first

    def run_step(self, ctx: StepContext, step: Step, index: int, total: int
                 ) -> dict[str, Any]:
        """verify(), then apply() unless already done. An AwsError is retried as the step's
        policy says; any other crash becomes a DrctlError naming the step."""
        ctx.report = self._reporter(ctx.run_id, step.name)
        attempt = 0
        while True:
            attempt += 1
            spans = {"spans_resumes": True} if step.policy.spans_resumes else {}
            self.emit(ctx.run_id, "step_started", step.name, index=index, total=total,
                      attempt=attempt, **spans)
            try:
                output, already = self._attempt(ctx, step)
            except AwsError:
                if attempt > step.policy.retries:
                    raise
                self.clock.sleep(step.policy.retry_delay * attempt)
                continue
            self.emit(ctx.run_id, "step_succeeded", step.name, output=output,
                      skipped_apply=already)
            return output

    def _attempt(self, ctx: StepContext, step: Step) -> tuple[dict[str, Any], bool]:
        """(output, already done) of one try; a failure is journaled, then raised."""
        try:
            already = step.verify(ctx)
            return ({} if already else step.apply(ctx)), already
        except (DrctlError, KeyboardInterrupt) as exc:
            self._failed(ctx, step, exc)
            raise
        except Exception as exc:
            self._failed(ctx, step, exc)
            raise DrctlError(f"step {step.name} crashed: {exc!r}") from exc

    def _failed(self, ctx: StepContext, step: Step, exc: BaseException) -> None:
        self.emit(ctx.run_id, "step_failed", step.name, error=failure_message(exc),
                  error_type=type(exc).__name__)

    def _reporter(self, run_id: str, step: str) -> Callable[[str], None]:
        def report(message: str) -> None:
            self.emit(run_id, "step_progress", step, message=message)

        return report
