"""Composing a controller from its collaborators (store, AWS, clock), and the view of every
schedule that `drctl schedule list`, /healthz and /metrics share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.app import App
from drctl.controller.daemon import Daemon, MainThreadQueue, Status
from drctl.controller.execute import EngineOptions, LogEvents, RunExecutor
from drctl.controller.playbooks import Served
from drctl.controller.runners import RunContext, runners
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import Claimant, ScheduleState
from drctl.controller.tick import Job, upcoming_fire
from drctl.controller.watch import AlarmWatch, WatchContext
from drctl.core.clock import iso
from drctl.core.identity import Identity


def claimant(identity: Identity) -> Claimant:
    """This controller: its process, and an id unique to this process's life."""
    owner = identity.owner
    return Claimant(owner, f"{owner.host}:{owner.pid}:{secrets.token_hex(3)}")


def build_daemon(served: Served, app: App, workers: int = 4) -> Daemon:
    """The controller over `app`'s store, AWS, clock, identity and interruption port."""
    state = ScheduleState(app.store)
    main_queue = MainThreadQueue()
    context = RunContext(app.aws, app.store_url, app.profile, served.playbooks)
    executor = RunExecutor(app.store, app.clock, state, runners(context), workers,
                           on_main_thread=main_queue.submit, engine_options=EngineOptions(
                               app.interrupt, app.identity))
    clock = app.clock
    who = claimant(app.identity)
    scheduler = Scheduler(served.jobs, state, executor, clock, who)
    watch_ctx = WatchContext(app.aws, app.store, clock, state, who, executor.engine_options,
                             executor.submit, lambda name: [LogEvents(name)])
    watches = [AlarmWatch(loaded, watch_ctx) for loaded in served.playbooks.values()
               if loaded.playbook.controller.watch]
    status = Status(clock.now(), problems=list(served.problems))
    return Daemon(scheduler, executor, clock, status, main_queue, watches)


@dataclass(frozen=True)
class ScheduleView:
    job: Job
    next_fire: datetime | None
    last: dict[str, Any] | None
    paused: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        schedule = self.job.schedule
        return {
            "playbook": self.job.playbook, "schedule": schedule.name, "kind": schedule.kind,
            "what": schedule.chaos or schedule.runbook or (
                f"{schedule.drill.target} {schedule.drill.kind or ''}".strip()
                if schedule.drill else None),
            "trigger": schedule.trigger_text, "jitter_seconds": schedule.jitter,
            "next_fire": iso(self.next_fire), "paused": self.paused, "last": self.last,
        }


def schedule_views(jobs: list[Job], state: ScheduleState, now: datetime) -> list[ScheduleView]:
    views = []
    for job in jobs:
        paused = state.paused(job.key)
        last = state.last(job.key)
        job_state = state.job_state(job.key)
        views.append(ScheduleView(job, upcoming_fire(job, job_state, now),
                                  last.__dict__ if last else None,
                                  paused.__dict__ if paused else None))
    return views
