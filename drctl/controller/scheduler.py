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
from drctl.controller.tick import Fire, Job, JobState, Missed, refusal, tick
from drctl.core.clock import Clock, iso
from drctl.core.store import LockHolder

log = structlog.get_logger("drctl.controller")
Claims = dict[tuple[str, datetime], LockHolder | None]
CURSOR_FLUSH = timedelta(seconds=10)
JUST_BEFORE = timedelta(milliseconds=1)  # the store keeps milliseconds


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
        # Cursors are kept here and written together every CURSOR_FLUSH: the claims are the
        # truth, so a cursor that lags after a crash only costs re-reading claimed fires.
        self._cursors: dict[str, datetime | None] = {}
        self._saved: dict[str, datetime | None] = {}   # as the store has them
        self._paused: set[str] = set()
        self._pauses_version: str | None = None
        self._pauses_read = False
        self._next_due: dict[str, datetime] = {}   # job key -> when it is next due
        self._flushed_at: datetime | None = None

    def run_tick(self) -> TickReport:
        now = self.clock.now()
        self._read_pauses()
        # Only the schedules due by now are looked at; the others wake up when they are due.
        due = [job for job in self.jobs if self._next_due.get(job.key, now) <= now]
        plan = tick(now, due, self._states(due), {**self._store_busy(),
                                                  **self.executor.busy()})
        self._next_due.update(plan.wakeups)
        next_wakeup = min([plan.next_wakeup, *self._next_due.values()])
        report = TickReport(now, [], [], [], 0, next_wakeup)
        claims = self.state.claim_all([(f.job.key, f.fire_time) for f in plan.fires]
                                      + [(m.job.key, t) for m in plan.missed for t in m.fires],
                                      self.who, now)
        lost = sum(not self._missed(m, claims, report) for m in plan.missed)
        lost += sum(not self._fire(f, claims, now, report) for f in plan.fires)
        self._taken_over(now, report)
        self._cursors.update(plan.cursors)
        # A cursor the store has none of yet is written at once: until then a next leader
        # would start from its own "now", past every fire this controller never claimed (the
        # HA gap of issue 11: a leader SIGKILLed within CURSOR_FLUSH of its election).
        unsaved = any(key not in self._saved for key in plan.cursors)
        if unsaved or self._flushed_at is None or now - self._flushed_at >= CURSOR_FLUSH:
            self.flush(now)
        return TickReport(now, report.started, report.skipped, report.missed, lost, next_wakeup)

    def flush(self, now: datetime | None = None) -> None:
        """Write the cursors that moved, in one store write. A stored cursor stands only for
        journaled fires: it is kept just before the earliest fire this controller claimed (or
        waits on another controller for) that is not journaled yet -- should this controller
        die now, the next leader looks at that fire again and takes its claim over. So a
        cursor may move back (a dead controller's fire taken over after the cursor passed it).
        """
        held = self._held()
        ready = {}
        for key, cursor in self._cursors.items():
            if cursor is not None and key in held:
                cursor = min(cursor, held[key] - JUST_BEFORE)
            if cursor is not None and self._saved.get(key) != cursor:
                ready[key] = cursor
        if ready:
            self.state.save_cursors(ready)
            self._saved.update(ready)
        self._flushed_at = now or self.clock.now()

    def _held(self) -> dict[str, datetime]:
        """Job key -> its earliest fire not journaled yet: this controller's (claimed, not
        journaled) or another's that it watches."""
        held = dict(self.executor.unsettled())
        for key, fire_time in self.state.watched_fires():
            held[key] = min(held.get(key, fire_time), fire_time)
        return held

    def forget(self) -> None:
        """Read every cursor from the store again (on becoming leader: another one led)."""
        self.flush()
        self._cursors.clear()
        self._saved.clear()
        self._next_due.clear()

    def _read_pauses(self) -> None:
        """Read every schedule's pause when one changed (a single read otherwise). A resumed
        schedule's cursor is read again: its resume moved it."""
        version = self.state.pauses_version()
        if self._pauses_read and version == self._pauses_version:
            return
        paused = {job.key for job in self.jobs if self.state.paused(job.key) is not None}
        for key in self._paused ^ paused:
            self._cursors.pop(key, None)
            self._saved.pop(key, None)
            self._next_due.pop(key, None)
        self._paused, self._pauses_version, self._pauses_read = paused, version, True

    def _states(self, jobs: list[Job]) -> dict[str, JobState]:
        states = {}
        for job in jobs:
            if job.key not in self._cursors:
                self._cursors[job.key] = self.state.cursor(job.key)
                if self._cursors[job.key] is not None:
                    self._saved[job.key] = self._cursors[job.key]
            states[job.key] = JobState(self._cursors[job.key], job.key in self._paused)
        return states

    def _fire(self, fire: Fire, claims: Claims, now: datetime, report: TickReport) -> bool:
        claim = claims[(fire.job.key, fire.fire_time)]
        # The older fires it coalesces are claimed too: one that another controller (or this
        # one before a restart) already ran is not counted again. They are looked at even when
        # the newest was handled elsewhere: runs are journaled out of order (a drill's
        # pre-flight outlasts the next fire's refusal), so a dead controller may have left an
        # older one unjournaled; then the newest of those this controller wins is run instead.
        older = self.state.claim_all([(fire.job.key, t) for t in fire.coalesced], self.who,
                                     now) if fire.coalesced else {}
        ours = [(t, held) for (_, t), held in older.items() if held is not None]
        if claim is None:
            log.info("fire_claimed_elsewhere", schedule=fire.job.key,
                     fire_time=iso(fire.fire_time))
            if not ours:
                return False
            (newest, claim), ours = ours[-1], ours[:-1]
            fire = replace(fire, fire_time=newest, due_at=fire.job.due_at(newest))
        fire = replace(fire, coalesced=tuple(t for t, _ in ours),
                       claims=(claim, *(held for _, held in ours)))
        if fire.skip_reason is None:
            report.started.append(fire)
            self.executor.start(fire)
        else:
            report.skipped.append(fire)
            self.executor.skip(fire)
        return True

    def _taken_over(self, now: datetime, report: TickReport) -> None:
        """Fires another controller claimed and did not journal before it went, as a tick
        treats due fires: per schedule, those within the grace run once (the newest, the
        older ones coalesced into it; or refused), those beyond it are journaled `missed`."""
        jobs = {job.key: job for job in self.jobs}
        won: dict[str, list[tuple[datetime, LockHolder]]] = {}
        for key, fire_time, claim in self.state.recheck(self.who, now):
            if key in jobs:
                won.setdefault(key, []).append((fire_time, claim))
        busy = {**self._store_busy(), **self.executor.busy()} if won else {}
        for key, fires in won.items():
            job = jobs[key]
            fires.sort(key=lambda fire: fire[0])
            grace = job.schedule.misfire_grace
            late = [f for f in fires if (now - job.due_at(f[0])).total_seconds() > grace]
            in_time = [f for f in fires if f not in late]
            if late:
                missed = Missed(job, tuple(t for t, _ in late), tuple(c for _, c in late))
                report.missed.append(missed)
                self.executor.missed(missed)
            if in_time:
                (newest, claim), older = in_time[-1], in_time[:-1]
                fire = refusal(now, Fire(job, newest, job.due_at(newest),
                                         tuple(t for t, _ in older),
                                         claims=(claim, *(c for _, c in older))), busy)
                (report.started if fire.skip_reason is None else report.skipped).append(fire)
                (self.executor.start if fire.skip_reason is None else self.executor.skip)(fire)

    def _missed(self, missed: Missed, claims: Claims, report: TickReport) -> bool:
        """Journal the fires of the group this controller won; those another controller
        claimed are its to journal (a dead one's are watched and taken over)."""
        won = [(t, held) for t in missed.fires
               if (held := claims[(missed.job.key, t)]) is not None]
        if not won:
            return False
        missed = replace(missed, fires=tuple(t for t, _ in won),
                         claims=tuple(held for _, held in won))
        report.missed.append(missed)
        self.executor.missed(missed)
        return True
