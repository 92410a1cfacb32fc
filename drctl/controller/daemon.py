"""The controller's thin loop: tick, sleep until the next wake-up or a stop, repeat.

The host (the `drctl controller` command) owns the signals: it calls `request_stop()` on
SIGTERM/SIGINT. Then no new run starts, the runs in progress finish (and are journaled), and
`run()` returns. Runs of every kind execute on worker threads and are stopped through the
interruption port (chaos too: its experiment process is relayed from any thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from drctl.controller.canary import Canary
from drctl.controller.execute import RunExecutor
from drctl.controller.leader import Leadership, LeaseRenewer, Presence
from drctl.controller.metrics import ControllerMetrics
from drctl.controller.scheduler import Scheduler, TickReport
from drctl.controller.watch import AlarmWatch
from drctl.core.clock import Clock, iso

log = structlog.get_logger("drctl.controller")

# The loop looks at least this often (pauses, the lease, /healthz's freshness).
MAX_WAIT = timedelta(seconds=5)


@dataclass
class Status:
    """What /healthz and `schedule list` read: the loop's own view of itself."""

    started_at: datetime
    last_tick_at: datetime | None = None
    last_report: TickReport | None = None
    problems: list[str] = field(default_factory=list)
    stopping: bool = False


@dataclass
class Parts:
    """What the loop drives; built by drctl/controller/build.py."""

    scheduler: Scheduler
    executor: RunExecutor
    clock: Clock
    status: Status
    watches: list[AlarmWatch] = field(default_factory=list)
    leadership: Leadership | None = None           # None: a controller alone on its store
    metrics: ControllerMetrics | None = None
    on_elected: Callable[[], None] | None = None   # on becoming leader (interrupted runs)
    canaries: list[Canary] = field(default_factory=list)
    presence: Presence | None = None               # this controller's liveness, for others


class Daemon:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.status = parts.status
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._term = 0   # the leadership term the scheduler last read the store in
        self._fenced = False
        self._following = False
        self.renewer = (LeaseRenewer(parts.leadership, parts.presence, parts.clock, self.wake)
                        if parts.leadership is not None else None)

    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            log.info("controller_stopping", reason=reason,
                     in_progress=self.parts.executor.in_progress())
        self.status.stopping = True
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Tick now (an alarm changed state)."""
        self._wake.set()

    def tick_once(self) -> datetime:
        """One round: the lease, then (leading) the schedules and the due alarm watches.
        Returns when to wake up next."""
        now = self.parts.clock.now()
        leading = self._lead(now)   # first: a takeover must not wait for anything else
        self.status.last_tick_at = now
        wakeups = [now + MAX_WAIT]
        if leading:  # the watches first: an alarm event must not wait for the schedules
            wakeups += [self._watch(watch, now) for watch in self.parts.watches]
            wakeups.append(self._schedules())
            wakeups += [self._beat(canary, now) for canary in self.parts.canaries]
        return min(wakeups)

    def _lead(self, now: datetime) -> bool:
        """Whether to act now. The lease is renewed on its own thread (LeaseRenewer); a tick
        only reads it -- and acts only while it is not fenced (drctl/controller/leader.py)."""
        leadership = self.parts.leadership
        if leadership is None:
            return True
        leading = leadership.acts(now)
        if self.parts.metrics is not None:  # holds the lease, as /healthz's `leader` says
            self.parts.metrics.is_leader.set(1.0 if leadership.leading else 0.0)
        fenced = leadership.leading and not leading
        if fenced and not self._fenced:  # once per episode: why the schedules wait
            log.warning("leader_fenced", reason="the lease renewal is overdue: not acting "
                        "until it succeeds", lease_expires_at=iso(leadership.view()
                                                                  .lease_expires_at))
        self._fenced = fenced
        if not leadership.leading and not self._following:  # once per episode: why it waits
            view = leadership.view()
            log.info("following", leader_id=view.leader_id,
                     lease_expires_at=iso(view.lease_expires_at),
                     detail="another controller leads: this one runs nothing until it does")
        self._following = not leadership.leading
        if leading and leadership.term != self._term:  # newly elected: another one led
            self._term = leadership.term
            self.parts.scheduler.forget()
            if self.parts.on_elected is not None:
                self.parts.on_elected()
        return leading

    def _schedules(self) -> datetime:
        report = self.parts.scheduler.run_tick()
        self.status.last_report = report
        for fire in report.started:
            log.info("fire_started", schedule=fire.job.key, fire_time=iso(fire.fire_time),
                     lateness=round(fire.lateness(report.at), 3))
        return report.next_wakeup

    def _beat(self, canary: Canary, now: datetime) -> datetime:
        if canary.next_beat is not None and canary.next_beat > now:
            return canary.next_beat
        wake = canary.beat(now)
        if canary.lag is not None and self.parts.metrics is not None:
            self.parts.metrics.lag.labels(canary.lag.source, canary.lag.target).set(
                canary.lag.seconds)
        return wake

    @staticmethod
    def _watch(watch: AlarmWatch, now: datetime) -> datetime:
        if watch.next_poll is None or watch.next_poll <= now:
            return watch.poll(now)
        return watch.next_poll

    def run(self, once: bool = False) -> None:
        """Tick until a stop is requested (or once), then let the runs in progress end."""
        if self.renewer is not None:
            self.renewer.beat()     # lead (or not) from the first tick on
            if not once:
                self.renewer.start()
        self._loop(once)

    def _loop(self, once: bool) -> None:
        try:
            while not self._stop.is_set():
                next_wakeup = self.tick_once()
                if once:
                    break
                delay = (next_wakeup - self.parts.clock.now()).total_seconds()
                self._wake.wait(max(0.05, delay))
                self._wake.clear()
        except Exception:
            log.exception("controller_loop_crashed")
            raise
        finally:
            self.parts.executor.shutdown(wait=True)  # no new runs; the ones in progress end
            self.parts.scheduler.flush()             # every claimed fire is journaled now
            if self.renewer is not None:
                self.renewer.stop()
            if self.parts.leadership is not None:
                self.parts.leadership.release()
            if self.parts.presence is not None:
                self.parts.presence.release()
