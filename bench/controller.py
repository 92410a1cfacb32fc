"""`python -m bench controller`: 1,000 schedules in one controller -- fire lateness p50/p99
(target p99 < 1 s) and the idle RSS of a `drctl controller` process (target < 150 MB).

- lateness: the real scheduler loop (tick, a claim per fire in SQLite, cursors, the executor's
  hand-off) on the system clock, 1,000 `every:` schedules (10..60 s, 50 playbooks) for a while;
  lateness = when the executor was handed the fire - its due time (nominal + jitter);
- idle RSS: `drctl controller` serving one playbook with 1,000 hourly schedules, read from
  /proc after it has ticked (its JSON log says it started).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import (
    median,
    quick_options,
    roadtrip_with,
    running_controller,
    table,
    write_result,
)
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import Claimant, ScheduleState
from drctl.controller.tick import Fire, Job, Missed
from drctl.core.clock import SystemClock
from drctl.core.identity import Owner
from drctl.playbook.schedules import Schedule
from drctl.store.sqlite import SqliteStore

SCHEDULES = 1000


class Recorder:
    """An executor that only notes when each fire was handed over."""

    def __init__(self, clock: SystemClock) -> None:
        self.clock = clock
        self.lateness: list[float] = []

    def busy(self) -> dict[str, str]:
        return {}

    def start(self, fire: Fire) -> None:
        self.lateness.append((self.clock.now() - fire.due_at).total_seconds())

    def skip(self, fire: Fire) -> None:
        self.start(fire)

    def missed(self, missed: Missed) -> None:
        return

    def unsettled(self) -> dict[str, datetime]:
        return {}


def jobs() -> list[Job]:
    return [Job.of(f"pb{i % 50}", Schedule.model_validate(
        {"name": f"s{i}", "every": f"{10 + i % 51}s", "jitter": "2s", "runbook": "x.md"}))
        for i in range(SCHEDULES)]


def lateness(seconds: float) -> list[float]:
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "journal.db")
        recorder = Recorder(clock)
        scheduler = Scheduler(jobs(), ScheduleState(store), recorder, clock,
                              Claimant(Owner("bench", "bench", 1), "bench"))
        stop = threading.Event()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            report = scheduler.run_tick()
            stop.wait(max(0.0, (report.next_wakeup - clock.now()).total_seconds()))
        store.close()
    return recorder.lateness


def idle_rss_mb() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        entries = "".join(f"  - {{name: s{i}, cron: '{i % 60} * * * *', drill: "
                          f"{{target: 'dynamodb:roadtrip-pois'}}}}\n" for i in range(SCHEDULES))
        playbook = roadtrip_with(Path(tmp) / "many.yaml", entries,
                                 "{watch: false, canary: {enabled: false}}")
        with running_controller(["--state-dir", tmp, "controller", "--playbook",
                                 str(playbook)]) as process:
            time.sleep(3)  # a few idle ticks
            status = Path(f"/proc/{process.pid}/status").read_text()
            line = next(ln for ln in status.splitlines() if ln.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def main(argv: list[str]) -> int:
    args = quick_options("controller", __doc__, argv, "20 s of fires instead of 75 s")
    seconds = 20.0 if args.quick else 75.0
    late = sorted(lateness(seconds))
    p99 = late[int(len(late) * 0.99) - 1] if late else float("nan")
    rss = idle_rss_mb()
    rows: list[list[Any]] = [
        ["fire lateness p50 (s)", median(late), "-"],
        ["fire lateness p99 (s)", p99, "< 1.00"],
        ["fires measured", len(late), "-"],
        ["idle RSS, 1,000 schedules (MB)", rss, "< 150"],
    ]
    write_result("controller", {"schedules": SCHEDULES, "seconds": seconds,
                                "lateness_p50_s": median(late), "lateness_p99_s": p99,
                                "lateness_max_s": max(late), "fires": len(late),
                                "mean_s": statistics.fmean(late), "idle_rss_mb": rss},
                 echo=args.json)
    if not args.json:
        print(f"{SCHEDULES} schedules, {seconds:.0f} s of the scheduler loop on the system clock")
        print(table(["measure", "value", "target"], rows))
    return 0
