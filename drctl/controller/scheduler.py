"""The shell around `tick`: read each schedule's state from the store, decide, claim every fire
before acting on it, hand it to the executor, move the cursors. Threads and the clock's sleeping
belong to the daemon; this is one synchronous step, so tests drive it with a fake clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from drctl.controller.state import Claimant, LastRun, ScheduleState
from drctl.controller.tick import Fire, Job, Missed, tick
from drctl.core.clock import Clock, iso

log = structlog.get_logger("drctl.controller")


class Executor(Protocol):
    """Where claimed fires go. `start` must not block for the length of the run."""

    def busy(self) -> dict[str, str]:
        """Playbook -> the disruptive run it has in progress (this controller's)."""
        ...

    def start(self, fire: Fire) -> None: ...

    def skip(self, fire: Fire) -> None: ...

    def missed(self, missed: Missed) -> None: ...


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

    def run_tick(self) -> TickReport:
        now = self.clock.now()
        states = {job.key: self.state.job_state(job.key) for job in self.jobs}
        plan = tick(now, self.jobs, states, {**self._store_busy(), **self.executor.busy()})
        report = TickReport(now, [], [], [], 0, plan.next_wakeup)
        lost = sum(not self._missed(m, now, report) for m in plan.missed)
        lost += sum(not self._fire(f, now, report) for f in plan.fires)
        for key, cursor in plan.cursors.items():
            self.state.save_cursor(key, cursor)
        return TickReport(now, report.started, report.skipped, report.missed, lost,
                          plan.next_wakeup)

    def _fire(self, fire: Fire, now: datetime, report: TickReport) -> bool:
        if not self.state.claim(fire.job.key, fire.fire_time, self.who, now):
            log.info("fire_claimed_elsewhere", schedule=fire.job.key,
                     fire_time=iso(fire.fire_time))
            return False
        if fire.skip_reason is None:
            report.started.append(fire)
            self.state.record(fire.job.key, LastRun(None, iso(fire.fire_time) or "", "running",
                                                    iso(now) or ""))
            self.executor.start(fire)
        else:
            report.skipped.append(fire)
            self.executor.skip(fire)
        return True

    def _missed(self, missed: Missed, now: datetime, report: TickReport) -> bool:
        # Claimed by its last fire time: two controllers journal one `missed` record, not two.
        if not self.state.claim(missed.job.key, missed.last, self.who, now):
            return False
        report.missed.append(missed)
        self.executor.missed(missed)
        return True
