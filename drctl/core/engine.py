"""The engine: runs Steps in order for every kind of Run, journaling before and after each.

The store write is the commit point and must succeed; other subscribers (console, logs,
notifier) are told afterwards and a failing one is logged, never fatal. Every event is checked
against the journal's vocabulary (drctl/core/vocabulary.py) before it is written. How a step
runs is drctl/core/step_runner.py; how a run ends, drctl/core/ending.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog

from drctl.core.clock import Clock
from drctl.core.ending import ENDINGS, INTERRUPTED, ending, interrupted_reason
from drctl.core.errors import DrctlError, InvalidInput
from drctl.core.events import JOURNAL_VERSION, Event
from drctl.core.figures import Figures
from drctl.core.identity import Identity
from drctl.core.interrupt import Interrupted, Interruption
from drctl.core.keeper import RunLeases
from drctl.core.lease import LeaseLost
from drctl.core.run import Run, RunStatus
from drctl.core.step import Step, StepContext
from drctl.core.step_runner import StepRunner
from drctl.core.store import Store, load_run
from drctl.core.vocabulary import checked_event

__all__ = ["INTERRUPTED", "Engine", "Subscriber", "interrupted_reason", "new_run_id",
           "run_locks"]

Subscriber = Callable[[Event], None]
# A run's process renews the run's lease while it works on it; another host sees the run
# `interrupted` this long after that process died.
RUN_LEASE_TTL = 30.0
log = structlog.get_logger("drctl.engine")


def new_run_id(kind: str, clock: Clock) -> str:
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    return f"{kind[:2]}-{stamp}-{secrets.token_hex(3)}"


def run_locks(run: Run) -> list[str]:
    """The locks a run names in its parameters (`lock`, `locks`): freed when it is aborted."""
    named = [run.params.get("lock"), *(run.params.get("locks") or [])]
    return [str(name) for name in named if name]


class Engine:
    """`interrupt` is the port a host stops runs through; `identity` is who owns them. Both
    default to a fresh one of their own (a port nobody stops; this process). While a run is
    started or resumed here and has not ended, this process holds its lease (`lease_ttl`).

    Every run ends here: `run_finished`/`run_interrupted` go through `emit` (which lets go of
    the run's lease), and `running(run_id)` ends any run whose code raised before it ended.
    """

    def __init__(self, store: Store, clock: Clock, subscribers: Sequence[Subscriber] = (), *,
                 interrupt: Interruption | None = None, identity: Identity | None = None,
                 lease_ttl: float = RUN_LEASE_TTL):
        self.store = store
        self.clock = clock
        self.subscribers = list(subscribers)
        self.interrupt = interrupt or Interruption()
        self.identity = identity or Identity.of_this_process()
        self.leases = RunLeases(store, clock, self.identity, lease_ttl)
        self.steps = StepRunner(self.emit, clock, self.interrupt, self.leases)

    def emit(self, run_id: str, type_: str, step: str | None = None, **data: Any) -> Event:
        """Journal the event (the commit point: a store error propagates), then tell every
        subscriber (a failing one is logged, never fatal)."""
        event = checked_event(run_id, type_, self.clock.now(), step, data)
        if event.journaled:
            event = self.store.append(event)
        if type_ in ENDINGS:
            self.leases.let_go(run_id)
        self._tell(event)
        return event

    def emit_many(self, run_id: str, type_: str, payloads: Sequence[dict[str, Any]]
                  ) -> list[Event]:
        """Several events of one type (a step's batch of changes, each payload naming its
        `step`) journaled in one store write (`append_many`: one fsync, not one each), then
        told to subscribers in order. Not for endings."""
        now = self.clock.now()
        events = [checked_event(run_id, type_, now, p.get("step"),
                                {k: v for k, v in p.items() if k != "step"}) for p in payloads]
        if events and events[0].journaled:
            events = self.store.append_many(events)
        for event in events:
            self._tell(event)
        return events

    def _tell(self, event: Event) -> None:
        for subscriber in self.subscribers:
            try:
                subscriber(event)
            except Exception:  # a display or log failure must never stop a failover
                log.exception("subscriber_failed", subscriber=repr(subscriber),
                              run_id=event.run_id)

    def start(self, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or new_run_id(kind, self.clock)
        self.leases.hold(run_id)
        with self.running(run_id):
            self.emit(run_id, "run_started", kind=kind, params=params,
                      version=JOURNAL_VERSION, **self.identity.owner.to_dict())
        return run_id

    def resume(self, run_id: str) -> Run:
        """Take the run over in this process. Blocked (exit 4) while another process still
        renews its lease."""
        self.leases.hold(run_id)
        with self.running(run_id):
            self.emit(run_id, "run_resumed", **self.identity.owner.to_dict())
            return load_run(self.store, run_id)

    @contextmanager
    def running(self, run_id: str) -> Iterator[None]:
        """Whatever escapes the block ends the run, unless it ended already: a stop leaves it
        `interrupted`, NotConfirmed `aborted`, anything else `failed` with the error. Then
        the exception goes on. Use it around any code that works on a started run."""
        try:
            yield
        except BaseException as exc:
            if self.leases.holding(run_id):
                self._end(run_id, exc, cleaned_up=False)
            raise

    def abort(self, run_id: str, reason: str, *, force: bool = False,
              leaves: dict[str, Any] | None = None) -> Run:
        """End an unfinished run on purpose (aborted, who and why journaled) and free what it
        held: its locks and lease. A failed run that still holds a lock (a failover that
        failed after changing the estate) can be ended too. `leaves`, what ending it leaves
        behind, is journaled as the run's recovery advice. InvalidInput if it already finished
        otherwise; Blocked while its process is alive (or may be, without `force`)."""
        run = self.abortable(run_id, force=force)
        status = run.effective_status
        by = self.identity.user
        if leaves:
            self.emit(run.run_id, "run_recovery", **leaves)
        had = f" (it had failed: {run.error})" if status is RunStatus.FAILED else ""
        self.emit(run.run_id, "run_finished", status=str(RunStatus.ABORTED),
                  error=f"aborted by {by}: {reason}{had}", aborted_by=by, reason=reason)
        for name in run_locks(run):
            self.store.release_lock(name, run.run_id)
        if run.lease is not None:
            self.store.release_lease(run.lease)
        return load_run(self.store, run.run_id)

    def abortable(self, run_id: str, *, force: bool = False) -> Run:
        """The run `abort` would end; raises as `abort` does when it cannot be ended."""
        run = load_run(self.store, run_id, now=self.clock.now(), identity=self.identity)
        status = run.effective_status
        if status.finished and not (status is RunStatus.FAILED and self.held_locks(run)):
            raise InvalidInput(f"run {run.run_id} already {status}: there is nothing to end",
                               hint=f"see `drctl runs show {run.run_id}`")
        run.ensure_not_live(force)
        return run

    def held_locks(self, run: Run) -> list[str]:
        """The locks `run` names that it still holds."""
        return [name for name in run_locks(run)
                if (holder := self.store.lock(name)) is not None and holder.run_id == run.run_id]

    def note(self, kind: str, params: dict[str, Any]) -> str:
        """A run that only records an act (a kill switch engaged): started and finished."""
        run_id = self.start(kind, params)
        with self.running(run_id):  # an end that cannot be written leaves the lease to expire
            self.emit(run_id, "run_finished", status=str(RunStatus.SUCCEEDED))
        return run_id

    def execute(
        self, run_id: str, steps: Sequence[Step], *, always: Sequence[Step] = (),
        measure: Callable[[Run], Figures] | None = None,
    ) -> Run:
        """Run `steps` from the first one not already succeeded, then `always` (cleanup steps
        that run whatever happened), then journal `measure(run)` and the end. Returns the Run.

        DrctlError fails the run (NotConfirmed aborts it) and is re-raised with `run_id` set.
        Ctrl-C re-raises too: a run without `always` steps is left `interrupted`, to be
        resumed; one that cleaned up after itself ends `aborted`. Anything else that raises
        (a measurement, the store) still ends the run, `failed`.
        """
        with self.running(run_id):
            run = load_run(self.store, run_id)
            ctx = StepContext(run_id, self.clock, run.facts(),
                              journal=_RunJournal(self, run_id), interrupt=self.interrupt)
            total = len(steps) + len(always)
            failure = self.steps.run_pending(ctx, run, steps, total)
            if isinstance(failure, LeaseLost):  # another process owns the run (and journal)
                self.leases.let_go(run_id, release=False)
                raise failure
            failure = self._conclude(ctx, failure, always, len(steps), total, measure)
        if failure is not None:
            raise failure
        return load_run(self.store, run_id)

    def _conclude(self, ctx: StepContext, failure: BaseException | None,
                  always: Sequence[Step], done: int, total: int,
                  measure: Callable[[Run], Figures] | None) -> BaseException | None:
        """Cleanup, measurement and the end, none cut short by a stop; returns the run's
        failure (the first of the steps', the cleanup's, the measurement's)."""
        with self.interrupt.shielded():
            cleaned = self.steps.run_always(ctx, always, done, total)
            failure = failure or cleaned
            measured = self._measure(ctx.run_id, measure)  # measured whatever happened
            failure = failure or measured
            self._end(ctx.run_id, failure, cleaned_up=bool(always) and cleaned is None)
        return failure

    def _measure(self, run_id: str, measure: Callable[[Run], Figures] | None
                 ) -> DrctlError | None:
        """Journal the measurement; a measurement that cannot be made or written is a
        failure of the run (never a run left open), returned to be the run's error."""
        if measure is None:
            return None
        try:
            self.measured(run_id, measure(load_run(self.store, run_id)))
        except Exception as exc:
            log.exception("measurement_failed", run_id=run_id)
            return DrctlError(f"could not measure the run: {exc}")
        return None

    def measured(self, run_id: str, figures: Figures) -> None:
        """Journal what the run measured: the one writer of `run_measured`, so every
        measurement in a journal is one of the kinds' typed figures (drctl/core/figures.py)."""
        self.emit(run_id, "run_measured", measurement=figures.to_dict())

    def _end(self, run_id: str, failure: BaseException | None, cleaned_up: bool) -> None:
        """The one place a run's end is decided. If even that cannot be journaled (the store
        is gone), the run's lease is left to expire, so others see it interrupted."""
        try:
            self._journal_end(run_id, failure, cleaned_up)
        except BaseException:
            log.exception("run_end_not_journaled", run_id=run_id)
            self.leases.let_go(run_id, release=False)
            if failure is None:
                raise

    def _journal_end(self, run_id: str, failure: BaseException | None, cleaned_up: bool
                     ) -> None:
        if isinstance(failure, (DrctlError, Interrupted)):
            failure.run_id = run_id
        type_, data = ending(failure, cleaned_up)
        self.emit(run_id, type_, **data)


class _RunJournal:
    def __init__(self, engine: Engine, run_id: str) -> None:
        self._engine, self._run_id = engine, run_id

    def emit(self, type_: str, **data: Any) -> None:
        self._engine.emit(self._run_id, type_, **data)

    def emit_many(self, type_: str, payloads: Sequence[dict[str, Any]]) -> None:
        self._engine.emit_many(self._run_id, type_, payloads)

    def events(self) -> list[Event]:
        return self._engine.store.events(self._run_id)
