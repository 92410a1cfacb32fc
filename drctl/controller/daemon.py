"""The controller's thin loop: tick, sleep until the next wake-up or a stop, repeat.

The host (the `drctl controller` command) owns the signals: it calls `request_stop()` on
SIGTERM/SIGINT. Then no new run starts, the runs in progress finish (and are journaled), and
`run()` returns. Work that must run on the main thread (chaos: its experiment process is driven
with signals) is queued to it; everything else runs on worker threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from drctl.controller.execute import RunExecutor
from drctl.controller.scheduler import Scheduler, TickReport
from drctl.controller.watch import AlarmWatch
from drctl.core.clock import Clock, iso

log = structlog.get_logger("drctl.controller")

Work = Callable[[], None]


@dataclass
class Status:
    """What /healthz and `schedule list` read: the loop's own view of itself."""

    started_at: datetime
    last_tick_at: datetime | None = None
    last_report: TickReport | None = None
    problems: list[str] = field(default_factory=list)
    stopping: bool = False


class MainThreadQueue:
    """Runs handed to the main thread, one at a time (the loop runs on its own thread then)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Work] = queue.Queue()

    def submit(self, work: Work) -> None:
        self._queue.put(work)

    def serve(self, until: threading.Event) -> None:
        while not (until.is_set() and self._queue.empty()):
            try:
                work = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            work()


class Daemon:
    def __init__(self, scheduler: Scheduler, executor: RunExecutor, clock: Clock,
                 status: Status, main_queue: MainThreadQueue | None = None,
                 watches: Sequence[AlarmWatch] = ()) -> None:
        self.scheduler = scheduler
        self.watches = list(watches)
        self.executor = executor
        self.clock = clock
        self.status = status
        self.main_queue = main_queue
        self._stop = threading.Event()
        self._loop_done = threading.Event()

    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            log.info("controller_stopping", reason=reason,
                     in_progress=self.executor.in_progress())
        self.status.stopping = True
        self._stop.set()

    def tick_once(self) -> datetime:
        """One round: the schedules, then the alarm watches that are due. Next wake-up."""
        report = self.scheduler.run_tick()
        self.status.last_tick_at = report.at
        self.status.last_report = report
        for fire in report.started:
            log.info("fire_started", schedule=fire.job.key, fire_time=iso(fire.fire_time),
                     lateness=round(fire.lateness(report.at), 3))
        wakeups = [report.next_wakeup]
        for watch in self.watches:
            if watch.next_poll is None or watch.next_poll <= report.at:
                wakeups.append(watch.poll(report.at))
            else:
                wakeups.append(watch.next_poll)
        return min(wakeups)

    def run(self, once: bool = False) -> None:
        """Tick until a stop is requested (or once), then let the runs in progress end."""
        if self.main_queue is None:
            self._loop(once)
        else:
            loop = threading.Thread(target=self._loop, args=(once,), name="drctl-tick",
                                    daemon=True)
            loop.start()
            self.main_queue.serve(self._loop_done)
            loop.join()
        log.info("controller_stopped")

    def _loop(self, once: bool) -> None:
        try:
            while not self._stop.is_set():
                next_wakeup = self.tick_once()
                if once:
                    break
                delay = (next_wakeup - self.clock.now()).total_seconds()
                self._stop.wait(max(0.05, delay))
        except Exception:
            log.exception("controller_loop_crashed")
            raise
        finally:
            self.executor.shutdown(wait=True)  # no new runs; the ones in progress end
            self._loop_done.set()
