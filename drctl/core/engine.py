"""The engine: runs Steps in order for every kind of Run, journaling before and after each.

The store write is the commit point and must succeed; other subscribers (console, logs,
notifier) are told afterwards and a failing one is logged, never fatal.
"""

from __future__ import annotations

import getpass
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from drctl.core.clock import Clock
from drctl.core.errors import AwsError, DrctlError, NotConfirmed
from drctl.core.events import JOURNAL_VERSION, Event
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.core.step import Step, StepContext
from drctl.store.base import Store, load_run

Subscriber = Callable[[Event], None]
log = structlog.get_logger("drctl.engine")


def new_run_id(kind: str, clock: Clock) -> str:
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    return f"{kind[:2]}-{stamp}-{secrets.token_hex(3)}"


def owner() -> dict[str, Any]:
    return {"user": getpass.getuser(), "host": socket.gethostname(), "pid": os.getpid()}


class Engine:
    def __init__(self, store: Store, clock: Clock, subscribers: Sequence[Subscriber] = ()):
        self.store = store
        self.clock = clock
        self.subscribers = list(subscribers)

    def emit(self, run_id: str, type_: str, step: str | None = None, **data: Any) -> Event:
        event = Event(run_id, type_, self.clock.now(), step, data)
        if event.journaled:
            event = self.store.append(event)
        for subscriber in self.subscribers:
            try:
                subscriber(event)
            except Exception:  # a display or log failure must never stop a failover
                log.exception("subscriber_failed", subscriber=repr(subscriber), run_id=run_id)
        return event

    def start(self, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or new_run_id(kind, self.clock)
        self.emit(run_id, "run_started", kind=kind, params=params,
                  version=JOURNAL_VERSION, **owner())
        return run_id

    def resume(self, run_id: str) -> Run:
        self.emit(run_id, "run_resumed", **owner())
        return load_run(self.store, run_id)

    def execute(self, run_id: str, steps: Sequence[Step]) -> Run:
        """Run `steps` from the first one not already succeeded. Returns the final Run.

        DrctlError fails the run (NotConfirmed aborts it); Ctrl-C marks it interrupted and
        re-raises, so it can be resumed.
        """
        run = load_run(self.store, run_id)
        ctx = StepContext(run_id, self.clock, run.facts(), journal=_RunJournal(self, run_id))
        try:
            for index, step in enumerate(steps, start=1):
                if run.step(step.name).status is StepStatus.SUCCEEDED:
                    continue
                ctx.report = self._reporter(run_id, step.name)
                ctx.facts.update(self._run_step(ctx, step, index, len(steps)))
        except NotConfirmed as exc:
            exc.run_id = run_id
            self.emit(run_id, "run_finished", status=str(RunStatus.ABORTED), error=str(exc))
            raise
        except DrctlError as exc:
            exc.run_id = run_id
            self.emit(run_id, "run_finished", status=str(RunStatus.FAILED), error=str(exc))
            raise
        except KeyboardInterrupt:
            self.emit(run_id, "run_interrupted", reason="interrupted by the operator (Ctrl-C)")
            raise
        self.emit(run_id, "run_finished", status=str(RunStatus.SUCCEEDED))
        return load_run(self.store, run_id)

    def _run_step(self, ctx: StepContext, step: Step, index: int, total: int) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            self.emit(ctx.run_id, "step_started", step.name, index=index, total=total,
                      attempt=attempt)
            try:
                already = step.verify(ctx)
                output = {} if already else step.apply(ctx)
            except AwsError as exc:
                self._fail(ctx, step, exc)
                if attempt > step.policy.retries:
                    raise
                self.clock.sleep(step.policy.retry_delay * attempt)
                continue
            except (DrctlError, KeyboardInterrupt) as exc:
                self._fail(ctx, step, exc)
                raise
            except Exception as exc:
                self._fail(ctx, step, exc)
                raise DrctlError(f"step {step.name} crashed: {exc!r}") from exc
            self.emit(ctx.run_id, "step_succeeded", step.name, output=output,
                      skipped_apply=already)
            return output

    def _fail(self, ctx: StepContext, step: Step, exc: BaseException) -> None:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, KeyboardInterrupt):
            message = "interrupted by the operator (Ctrl-C)"
        self.emit(ctx.run_id, "step_failed", step.name, error=message,
                  error_type=type(exc).__name__)

    def _reporter(self, run_id: str, step: str) -> Callable[[str], None]:
        def report(message: str) -> None:
            self.emit(run_id, "step_progress", step, message=message)

        return report


class _RunJournal:
    def __init__(self, engine: Engine, run_id: str) -> None:
        self._engine, self._run_id = engine, run_id

    def emit(self, type_: str, **data: Any) -> None:
        self._engine.emit(self._run_id, type_, **data)

    def events(self) -> list[Event]:
        return self._engine.store.events(self._run_id)
