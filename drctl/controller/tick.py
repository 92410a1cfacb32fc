"""The heart of the scheduler, a pure function: `tick(now, jobs, state)` says which fires to
start (or journal as skipped), which were missed beyond their grace, each schedule's new cursor,
and when to wake up next. No clock, store or thread here: the shell around it does that.

Per schedule, the fires after its cursor (the newest nominal fire already handled) that are due
(nominal time + jitter <= now):

- those later than `misfire_grace` are `missed` (journaled, shown; never silently lost);
- of those within the grace, the newest runs once and the older ones are coalesced into it;
- a paused schedule neither runs nor advances (its resume moves the cursor to the resume time);
- a fire outside the schedule's windows, or for a playbook that already has a disruptive run,
  is started as a refusal: the shell journals it with verdict `skipped` and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from drctl.controller.triggers import Trigger, fires_after, jitter_delay, next_fire, trigger_for
from drctl.core.store import LockHolder
from drctl.playbook.schedules import Schedule

# Fires looked at per schedule per tick: a controller down for a day behind `every: 1s` catches
# up over many ticks instead of stalling one (each missed fire is one claim, one store write).
MAX_FIRES_PER_TICK = 1_000
# Wake up at least this often: pauses and new state are read on each tick.
MAX_SLEEP = timedelta(seconds=30)


@dataclass(frozen=True)
class Job:
    """One schedule of one playbook. `key` (`playbook/schedule`) names it in the store."""

    playbook: str
    schedule: Schedule
    trigger: Trigger = field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, playbook: str, schedule: Schedule) -> Job:
        return cls(playbook, schedule, trigger_for(schedule))

    @property
    def key(self) -> str:
        return f"{self.playbook}/{self.schedule.name}"

    def due_at(self, fire_time: datetime) -> datetime:
        delay = jitter_delay(self.key, fire_time, self.schedule.jitter)
        return fire_time + timedelta(seconds=delay)


@dataclass(frozen=True)
class JobState:
    cursor: datetime | None = None  # None: never seen; starts from now (nothing to catch up)
    paused: bool = False


@dataclass(frozen=True)
class Fire:
    job: Job
    fire_time: datetime                    # nominal: what the journal's trigger names
    due_at: datetime                       # nominal + jitter
    coalesced: tuple[datetime, ...] = ()   # older fires within the grace, folded into this one
    skip_reason: str | None = None         # journal as `skipped`, do not run
    # The store's claims on it (this fire's first, then its coalesced ones'), settled when its
    # run is journaled; set by the scheduler, never by `tick`.
    claims: tuple[LockHolder, ...] = field(default=(), compare=False, repr=False)

    def lateness(self, now: datetime) -> float:
        return (now - self.due_at).total_seconds()


@dataclass(frozen=True)
class Missed:
    """Fires of one schedule found later than its grace, journaled as one `missed` record that
    names each of them: each is claimed on its own, so a fire another controller already
    handled is neither journaled again nor hides the ones nobody handled."""

    job: Job
    fires: tuple[datetime, ...]            # nominal, oldest first
    claims: tuple[LockHolder, ...] = field(default=(), compare=False, repr=False)  # each's

    @property
    def first(self) -> datetime:
        return self.fires[0]

    @property
    def last(self) -> datetime:
        return self.fires[-1]

    @property
    def count(self) -> int:
        return len(self.fires)


@dataclass(frozen=True)
class TickPlan:
    fires: list[Fire]
    missed: list[Missed]
    cursors: dict[str, datetime]  # job key -> new cursor, only where it moved
    next_wakeup: datetime
    wakeups: dict[str, datetime] = field(default_factory=dict)  # job key -> its own next due


def tick(now: datetime, jobs: list[Job], state: Mapping[str, JobState],
         busy: Mapping[str, str] | None = None) -> TickPlan:
    """Decide this tick. `busy`: playbook -> the disruptive run it has in progress."""
    busy = dict(busy or {})
    plan = TickPlan([], [], {}, now + MAX_SLEEP)
    for job in jobs:
        job_state = state.get(job.key, JobState())
        if job_state.paused:
            continue
        cursor = job_state.cursor or now
        cursor = _handle_due(now, job, cursor, plan, busy)
        if cursor != job_state.cursor:
            plan.cursors[job.key] = cursor
        plan.wakeups[job.key] = _wakeup(now, job, cursor)
    return TickPlan(plan.fires, plan.missed, plan.cursors,
                    min([plan.next_wakeup, *plan.wakeups.values()]), plan.wakeups)


def _handle_due(now: datetime, job: Job, cursor: datetime, plan: TickPlan,
                busy: dict[str, str]) -> datetime:
    """Add the job's due fires to `plan`; return the new cursor."""
    due = list(islice(_due(now, job, cursor), MAX_FIRES_PER_TICK))
    if not due:
        return cursor
    grace = timedelta(seconds=job.schedule.misfire_grace)
    late = [f for f in due if now - job.due_at(f) > grace]
    in_time = [f for f in due if now - job.due_at(f) <= grace]
    if late:
        plan.missed.append(Missed(job, tuple(late)))
    if in_time:
        newest = in_time[-1]
        fire = Fire(job, newest, job.due_at(newest), tuple(in_time[:-1]))
        plan.fires.append(refusal(now, fire, busy))
    return due[-1]


def _due(now: datetime, job: Job, cursor: datetime) -> Iterator[datetime]:
    for fire_time in fires_after(job.trigger, cursor):
        if job.due_at(fire_time) > now:
            return
        yield fire_time


def refusal(now: datetime, fire: Fire, busy: dict[str, str]) -> Fire:
    """The fire as it will be started: refused when a window or the playbook's one disruptive
    slot says no. Taking the slot here keeps a second fire of the same tick out of it."""
    schedule = fire.job.schedule
    reason = window_refusal(schedule, now)
    if reason is None and schedule.disruptive:
        holder = busy.get(fire.job.playbook)
        if holder is not None:
            reason = (f"playbook {fire.job.playbook} already has a disruptive run in "
                      f"progress ({holder})")
        else:
            busy[fire.job.playbook] = f"{fire.job.key} fire at {fire.fire_time.isoformat()}"
    if reason is None:
        return fire
    return Fire(fire.job, fire.fire_time, fire.due_at, fire.coalesced, reason, fire.claims)


def window_refusal(schedule: Schedule, now: datetime) -> str | None:
    """Why the schedule's windows refuse a start at `now`, or None."""
    blocked = [w for w in schedule.blocked_windows if w.contains(now)]
    if blocked:
        return f"inside blocked window {blocked[0].describe()}"
    if schedule.windows and not any(w.contains(now) for w in schedule.windows):
        allowed = "; ".join(w.describe() for w in schedule.windows)
        return f"outside the allowed windows ({allowed})"
    return None


def _wakeup(now: datetime, job: Job, cursor: datetime) -> datetime:
    upcoming = next_fire(job.trigger, cursor)
    if upcoming is None:
        return now + MAX_SLEEP
    return max(now, job.due_at(upcoming))


def upcoming_fire(job: Job, state: JobState, now: datetime) -> datetime | None:
    """The next nominal fire `schedule list` shows: None while paused."""
    if state.paused:
        return None
    return next_fire(job.trigger, max(state.cursor or now, now))
