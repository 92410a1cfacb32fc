"""The shell around `tick`: read each schedule's state from the store, decide, claim every fire
before acting on it, hand it to the executor, move the cursors. Threads and the clock's sleeping
belong to the daemon; this is one synchronous step, so tests drive it with a fake clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from drctl.controller.state import Claimant, ScheduleState
from drctl.controller.tick import Fire, Job, JobState, Missed, tick
from drctl.core.clock import Clock, iso

log = structlog.get_logger("drctl.controller")
CURSOR_FLUSH = timedelta(seconds=10)
FLUSH_BATCH = 100


class Executor(Protocol):
    """Where claimed fires go. `start` must not block for the length of the run."""

    def busy(self) -> dict[str, str]:
        """Playbook -> the disruptive run it has in progress (this controller's)."""
        ...

    def start(self, fire: Fire) -> None: ...

    def skip(self, fire: Fire) -> None: ...

    def missed(self, missed: Missed) -> None: ...

    def unsettled(self) -> dict[str, datetime]:
        """Job key -> the earliest fire handed to `start` whose run is not journaled yet."""
        ...


@dataclass(frozen=True)
class TickReport:
    at: datetime
    started: list[Fire]
    skipped: list[Fire]
    missed: list[Missed]
    lost_claims: int     # fires another controller had already claimed
    next_wakeup: datetime


class Scheduler:
    def __init__(self, jobs: list[Job], state: ScheduleState, executor: Executor, clock: Clock,
                 who: Claimant, busy: Callable[[], dict[str, str]] | None = None) -> None:
        self.jobs = jobs
        self.state = state
        self.executor = executor
        self.clock = clock
        self.who = who
        self._store_busy = busy or dict  # e.g. the store's disruptive-run locks
        # Cursors are kept here and written in batches: the claims are the truth, so a cursor
        # that lags after a crash only costs re-reading claimed fires (fsyncs cost ~10 ms each).
        self._cursors: dict[str, datetime | None] = {}
        self._dirty: dict[str, datetime] = {}
        self._paused: set[str] = set()
        self._flushed_at: datetime | None = None

    def run_tick(self) -> TickReport:
        now = self.clock.now()
        plan = tick(now, self.jobs, self._states(), {**self._store_busy(),
                                                     **self.executor.busy()})
        report = TickReport(now, [], [], [], 0, plan.next_wakeup)
        lost = sum(not self._missed(m, now, report) for m in plan.missed)
        lost += sum(not self._fire(f, now, report) for f in plan.fires)
        self._cursors.update(plan.cursors)
        self._dirty.update(plan.cursors)
        if self._flushed_at is None or now - self._flushed_at >= CURSOR_FLUSH:
            self.flush(now, limit=FLUSH_BATCH)
        return TickReport(now, report.started, report.skipped, report.missed, lost,
                          plan.next_wakeup)

    def flush(self, now: datetime | None = None, limit: int | None = None) -> None:
        """Write the cursors that moved (`limit` at a time while ticking, so 1,000 new schedules
        do not stall one tick; all of them when the controller stops). A cursor stays unsaved
        while a fire before it is claimed but not journaled: should this controller die now,
        the next leader must still look at that fire (and take its claim over)."""
        held = self.executor.unsettled()
        for key in [k for k in self._dirty if k not in held][:limit]:
            self.state.save_cursor(key, self._dirty.pop(key))
        self._flushed_at = now or self.clock.now()

    def forget(self) -> None:
        """Read every cursor from the store again (on becoming leader: another one led)."""
        self.flush()
        self._cursors.clear()

    def _states(self) -> dict[str, JobState]:
        states = {}
        for job in self.jobs:
            paused = self.state.paused(job.key) is not None
            resumed = job.key in self._paused and not paused  # its resume moved the cursor
            if job.key not in self._cursors or resumed:
                self._cursors[job.key] = self.state.cursor(job.key)
            (self._paused.add if paused else self._paused.discard)(job.key)
            states[job.key] = JobState(self._cursors[job.key], paused)
        return states

    def _fire(self, fire: Fire, now: datetime, report: TickReport) -> bool:
        claim = self.state.claim_or_take_over(fire.job.key, fire.fire_time, self.who, now)
        if claim is None:
            log.info("fire_claimed_elsewhere", schedule=fire.job.key,
                     fire_time=iso(fire.fire_time))
            return False
        # The older fires it coalesces are claimed too: one that another controller (or this
        # one before a restart, its cursor not yet written) already ran is not counted again.
        older = [(t, self.state.claim_or_take_over(fire.job.key, t, self.who, now))
                 for t in fire.coalesced]
        fire = replace(fire, coalesced=tuple(t for t, held in older if held),
                       claims=(claim, *(held for _, held in older if held)))
        if fire.skip_reason is None:
            report.started.append(fire)
            self.executor.start(fire)
        else:
            report.skipped.append(fire)
            self.executor.skip(fire)
        return True

    def _missed(self, missed: Missed, now: datetime, report: TickReport) -> bool:
        # Claimed by its last fire time: two controllers journal one `missed` record, not two.
        claim = self.state.claim_or_take_over(missed.job.key, missed.last, self.who, now)
        if claim is None:
            return False
        missed = replace(missed, claims=(claim,))
        report.missed.append(missed)
        self.executor.missed(missed)
        return True
