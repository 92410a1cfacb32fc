"""The engine: runs Steps in order for every kind of Run, journaling before and after each.

The store write is the commit point and must succeed; other subscribers (console, logs,
notifier) are told afterwards and a failing one is logged, never fatal.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from drctl.core.clock import Clock, iso
from drctl.core.errors import AwsError, Blocked, DrctlError, NotConfirmed
from drctl.core.events import JOURNAL_VERSION, Event
from drctl.core.identity import Identity
from drctl.core.interrupt import CTRL_C, Interrupted, Interruption
from drctl.core.keeper import LeaseKeeper
from drctl.core.lease import LeaseHeld, LeaseLost
from drctl.core.run import Run, RunStatus, StepStatus, run_lease_name
from drctl.core.step import Step, StepContext
from drctl.core.store import Store, load_run

Subscriber = Callable[[Event], None]
INTERRUPTED = "interrupted by the operator (Ctrl-C)"
# A run's process renews the run's lease while it works on it; another host sees the run
# `interrupted` this long after that process died.
RUN_LEASE_TTL = 30.0
ENDINGS = frozenset({"run_finished", "run_interrupted"})
log = structlog.get_logger("drctl.engine")


def new_run_id(kind: str, clock: Clock) -> str:
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    return f"{kind[:2]}-{stamp}-{secrets.token_hex(3)}"


def interrupted_reason(exc: BaseException) -> str:
    """What the journal says about a stop: Ctrl-C keeps its words; other sources are named."""
    if isinstance(exc, Interrupted) and exc.reason != CTRL_C:
        return f"interrupted ({exc.reason})"
    return INTERRUPTED


class Engine:
    """`interrupt` is the port a host stops runs through; `identity` is who owns them. Both
    default to a fresh one of their own (a port nobody stops; this process). While a run is
    started or resumed here and has not ended, this process holds its lease (`lease_ttl`)."""

    def __init__(self, store: Store, clock: Clock, subscribers: Sequence[Subscriber] = (), *,
                 interrupt: Interruption | None = None, identity: Identity | None = None,
                 lease_ttl: float = RUN_LEASE_TTL):
        self.store = store
        self.clock = clock
        self.subscribers = list(subscribers)
        self.interrupt = interrupt or Interruption()
        self.identity = identity or Identity.of_this_process()
        self.lease_ttl = lease_ttl
        self._keepers: dict[str, LeaseKeeper] = {}
        self._keepers_lock = threading.Lock()

    def emit(self, run_id: str, type_: str, step: str | None = None, **data: Any) -> Event:
        event = Event(run_id, type_, self.clock.now(), step, data)
        if event.journaled:
            event = self.store.append(event)
        for subscriber in self.subscribers:
            try:
                subscriber(event)
            except Exception:  # a display or log failure must never stop a failover
                log.exception("subscriber_failed", subscriber=repr(subscriber), run_id=run_id)
        if type_ in ENDINGS:
            self._let_go(run_id)
        return event

    def start(self, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or new_run_id(kind, self.clock)
        self._hold(run_id)
        try:
            self.emit(run_id, "run_started", kind=kind, params=params,
                      version=JOURNAL_VERSION, **self.identity.owner.to_dict())
        except BaseException:
            self._let_go(run_id)
            raise
        return run_id

    def resume(self, run_id: str) -> Run:
        """Take the run over in this process. LeaseHeld (exit 4) while another process
        still renews its lease."""
        self._hold(run_id)
        try:
            self.emit(run_id, "run_resumed", **self.identity.owner.to_dict())
        except BaseException:
            self._let_go(run_id)
            raise
        return load_run(self.store, run_id)

    def _hold(self, run_id: str) -> None:
        """Take the run's lease; one whose holder is known dead (its pid on this host is
        gone) is taken over at once, any other live one refuses (Blocked)."""
        keeper = LeaseKeeper(self.store, self.clock, run_lease_name(run_id),
                             self.identity.process_key, self.identity.owner, self.lease_ttl)
        try:
            keeper.start()
        except LeaseHeld as held:
            if self.identity.owner_alive(held.lease.owner) is not False:
                raise Blocked(f"run {run_id} is still owned by {held.lease.owner.describe()}: "
                              f"it renews the run's lease (until "
                              f"{iso(held.lease.expires_at)})",
                              hint="stop that process, or wait: if its host is gone the run "
                                   "shows interrupted once the lease expires") from None
            keeper.start(replace=held.lease)
        with self._keepers_lock:
            self._keepers[run_id] = keeper

    def _let_go(self, run_id: str) -> None:
        with self._keepers_lock:
            keeper = self._keepers.pop(run_id, None)
        if keeper is not None:
            keeper.stop()

    def _ensure_lease(self, run_id: str) -> None:
        """Between steps: a run whose lease another process took over is no longer ours."""
        with self._keepers_lock:
            keeper = self._keepers.get(run_id)
        if keeper is not None and keeper.lost is not None:
            raise keeper.lost

    def execute(
        self, run_id: str, steps: Sequence[Step], *, always: Sequence[Step] = (),
        measure: Callable[[Run], dict[str, Any]] | None = None,
    ) -> Run:
        """Run `steps` from the first one not already succeeded, then `always` (cleanup steps
        that run whatever happened), then journal `measure(run)` and the end. Returns the Run.

        DrctlError fails the run (NotConfirmed aborts it) and is re-raised with `run_id` set.
        Ctrl-C re-raises too: a run without `always` steps is left `interrupted`, to be
        resumed; one that cleaned up after itself ends `aborted`.
        """
        run = load_run(self.store, run_id)
        ctx = StepContext(run_id, self.clock, run.facts(), journal=_RunJournal(self, run_id),
                          interrupt=self.interrupt)
        total = len(steps) + len(always)
        failure: BaseException | None = None
        try:
            for index, step in enumerate(steps, start=1):
                if run.step(step.name).status is StepStatus.SUCCEEDED:
                    continue
                self.interrupt.check()
                self._ensure_lease(run_id)
                ctx.facts.update(self._run_step(ctx, step, index, total))
        except (DrctlError, KeyboardInterrupt) as exc:
            failure = exc
        if isinstance(failure, LeaseLost):  # another process owns the run (and its journal) now
            self._let_go(run_id)
            raise failure
        cleaned = self._run_always(ctx, always, len(steps), total)
        failure = failure or cleaned
        if measure is not None:
            self.emit(run_id, "run_measured", measurement=measure(load_run(self.store, run_id)))
        self._finish(run_id, failure, cleaned_up=bool(always) and cleaned is None)
        if failure is not None:
            raise failure
        return load_run(self.store, run_id)

    def _run_always(self, ctx: StepContext, steps: Sequence[Step], done: int, total: int
                    ) -> BaseException | None:
        """Run every step; the first failure is returned, not raised (the next still runs).
        Shielded: a stop requested now does not cut a cleanup short."""
        first: BaseException | None = None
        with self.interrupt.shielded():
            for index, step in enumerate(steps, start=done + 1):
                try:
                    ctx.facts.update(self._run_step(ctx, step, index, total))
                except (DrctlError, KeyboardInterrupt) as exc:
                    first = first or exc
        return first

    def _finish(self, run_id: str, failure: BaseException | None, cleaned_up: bool) -> None:
        if isinstance(failure, DrctlError):
            failure.run_id = run_id
        if failure is None:
            self.emit(run_id, "run_finished", status=str(RunStatus.SUCCEEDED))
        elif isinstance(failure, KeyboardInterrupt) and not cleaned_up:
            self.emit(run_id, "run_interrupted", reason=interrupted_reason(failure))
        elif isinstance(failure, KeyboardInterrupt):
            self.emit(run_id, "run_finished", status=str(RunStatus.ABORTED),
                      error=f"{interrupted_reason(failure)}; cleaned up")
        elif isinstance(failure, NotConfirmed):
            self.emit(run_id, "run_finished", status=str(RunStatus.ABORTED), error=str(failure))
        else:
            self.emit(run_id, "run_finished", status=str(RunStatus.FAILED), error=str(failure))

    def _run_step(self, ctx: StepContext, step: Step, index: int, total: int) -> dict[str, Any]:
        ctx.report = self._reporter(ctx.run_id, step.name)
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
            message = interrupted_reason(exc)
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
