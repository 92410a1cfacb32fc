"""Composing a controller from its collaborators (store, AWS, clock), and the view of every
schedule that `drctl schedule list`, /healthz and /metrics share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from drctl.app import App
from drctl.aws.clients import fail_fast_factory
from drctl.aws.estate import Aws
from drctl.controller.canary import Canary, Lag, ServingRegion
from drctl.controller.daemon import Daemon, Parts, Status
from drctl.controller.events import AlarmTopicListener, Sweep, sweep_stale_queues
from drctl.controller.execute import EngineOptions, LogEvents, RunExecutor
from drctl.controller.health import HealthServer
from drctl.controller.leader import Leadership, Presence
from drctl.controller.metrics import ControllerMetrics, MetricsEvents
from drctl.controller.playbooks import Served
from drctl.controller.runners import RunContext, runners
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import Claimant, ScheduleState
from drctl.controller.takeover import take_over
from drctl.controller.tick import Job, upcoming_fire
from drctl.controller.watch import AlarmWatch, WatchContext
from drctl.core import exclusive
from drctl.core.clock import Clock, iso
from drctl.core.engine import Subscriber
from drctl.core.errors import DrctlError
from drctl.core.identity import Identity
from drctl.core.run import Run
from drctl.core.store import Store
from drctl.report.after_run import AfterRun, PerPlaybook, after_run_for

log = structlog.get_logger("drctl.controller")

# /healthz says 503 when the loop has not ticked for this long (it ticks every 5 s at most).
STALE = timedelta(seconds=30)


def claimant(identity: Identity) -> Claimant:
    """This controller: its process, and an id unique to this process's life."""
    owner = identity.owner
    return Claimant(owner, f"{owner.host}:{owner.pid}:{secrets.token_hex(3)}")


@dataclass(frozen=True)
class ControllerOptions:
    workers: int = 4
    lease_ttl: float = 15.0
    listen: tuple[str, int] | None = None


@dataclass
class Controller:
    daemon: Daemon
    health: HealthServer | None
    listeners: list[AlarmTopicListener]
    sweep: Sweep | None = None

    def start_listeners(self) -> None:
        """Say this controller is alive, delete the alarm queues dead controllers left, then
        subscribe this controller's own."""
        parts = self.daemon.parts
        if parts.presence is not None:
            parts.presence.step(parts.clock.now())
        for listener in self.listeners:
            if self.sweep is not None:
                sweep_stale_queues(listener.playbook, self.sweep, parts.clock.now())
            listener.start()

    def stop_listeners(self) -> None:
        for listener in self.listeners:
            listener.stop()


def build_controller(served: Served, app: App, options: ControllerOptions) -> Controller:
    """The controller over `app`'s store, AWS, clock, identity and interruption port."""
    state = ScheduleState(app.store, orphan_after=timedelta(seconds=options.lease_ttl / 2),
                          leader_lease=lease_name(served))
    clock, who = app.clock, claimant(app.identity)
    metrics = ControllerMetrics()
    extra: list[Subscriber] = [MetricsEvents(metrics), after_runs(app, served)]
    executor = RunExecutor(
        app.store, clock, state, runners(RunContext.of(app, served.playbooks)),
        options.workers, engine_options=EngineOptions(app.interrupt, app.identity),
        subscribers=extra)
    # The watch's polls and the canary's beats read with clients that fail fast: both come
    # again within seconds, and on the tick thread a dark region's retries (~30 s) would
    # delay the next alarm poll -- the detection latency.
    reads = Aws(fail_fast_factory(app.profile))
    watch_ctx = WatchContext(app.aws, app.store, clock, state, who, executor.engine_options,
                             executor.submit, lambda name: [LogEvents(name), *extra], reads)
    leadership = Leadership(app.store, state.leader_lease or "", who, options.lease_ttl)
    scheduler = Scheduler(served.jobs, state, executor, clock, who,
                          busy=lambda: disruptive_holders(app.store, served, app.identity))
    parts = Parts(
        scheduler, executor, clock,
        Status(clock.now(), problems=list(served.problems)),
        [AlarmWatch(loaded, watch_ctx) for loaded in served.playbooks.values()
         if loaded.playbook.controller.watch],
        leadership, metrics, lambda: take_over(served.playbooks, watch_ctx),
        [Canary(loaded.playbook, reads, ServingRegion(loaded.playbook, reads), clock)
         for loaded in served.playbooks.values() if loaded.playbook.controller.canary.enabled])
    parts.presence = Presence(app.store, who, options.lease_ttl)
    daemon = Daemon(parts)
    listeners = [listener(watch, daemon, app.aws, who) for watch in parts.watches
                 if watch.loaded.playbook.detection.topic]
    sweep = Sweep(app.aws, app.store, who.id, timedelta(seconds=options.lease_ttl))
    health = None
    if options.listen is not None:
        health = HealthServer(options.listen, lambda: healthz(daemon, served.jobs, state),
                              lambda: scrape(metrics, served.jobs, state, clock.now()))
    return Controller(daemon, health, listeners, sweep)


def listener(watch: AlarmWatch, daemon: Daemon, aws: Aws, who: Claimant) -> AlarmTopicListener:
    def on_event() -> None:
        watch.poll_now()
        daemon.wake()

    return AlarmTopicListener(watch.loaded.playbook, aws, who.id, on_event)


def after_runs(app: App, served: Served) -> PerPlaybook:
    """Scheduled runs end like manual ones: summary sent, metrics published (logged here)."""
    def show(text: str) -> None:
        log.info("run_summary", summary=text)

    by_name = {name: after_run_for(app.store, app.clock, app.aws, loaded.playbook, show)
               for name, loaded in served.playbooks.items()}
    by_path = {str(loaded.path): (name, loaded) for name, loaded in served.playbooks.items()}

    def runbook(run: Run) -> AfterRun | None:
        """A scheduled runbook names its playbook by path; it notifies its own channels."""
        name, loaded = by_path.get(str(run.params.get("playbook_path")), (None, None))
        if loaded is None:
            return None
        from drctl.runbook.after_run import for_finished_run  # imports the runbook extra
        try:
            return for_finished_run(app, run, loaded.playbook, show)
        except DrctlError as exc:  # the runbook changed or vanished since: the playbook's
            log.warning("runbook_unreadable_at_end", run_id=run.run_id, error=exc.message)
            return by_name[str(name)]

    return PerPlaybook(app.store, by_name, runbook)


def disruptive_holders(store: Store, served: Served, identity: Identity) -> dict[str, str]:
    """Playbook -> who holds its one disruptive slot (a manual experiment or drill, another
    controller's run): a fire meanwhile is journaled as skipped, naming it. A holder that is
    gone (its run ended or interrupted: a SIGKILLed leader's drill) is not in the way -- the
    run takes its lock over -- else every fire after a takeover would be refused."""
    held = {name: store.lock(exclusive.lock_name(name)) for name in served.playbooks}
    return {name: holder.describe() for name, holder in held.items()
            if holder is not None and not exclusive.gone(store, holder, identity)}


def lease_name(served: Served) -> str:
    """Controllers serving the same playbooks share one leader lease."""
    return "controller-leader:" + ",".join(sorted(served.playbooks))


def healthz(daemon: Daemon, jobs: list[Job], state: ScheduleState
            ) -> tuple[bool, dict[str, Any]]:
    status, parts = daemon.status, daemon.parts
    now = parts.clock.now()
    fresh = status.last_tick_at is not None and now - status.last_tick_at <= STALE
    leader = parts.leadership.view() if parts.leadership else None
    document = {
        "leader": bool(leader and leader.leader), "leader_id": leader and leader.leader_id,
        "lease_expires_at": iso(leader.lease_expires_at) if leader else None,
        "last_tick_at": iso(status.last_tick_at), "stopping": status.stopping,
        "problems": status.problems + [p for w in parts.watches if (p := w.problem())],
        "schedules": [v.to_dict() for v in schedule_views(jobs, state, now)],
        "replication_lag": [lag_dict(c.playbook.name, c.lag) for c in parts.canaries if c.lag],
    }
    return fresh and not status.stopping, document


def live_lags(served: Served, aws: Aws, clock: Clock) -> list[dict[str, Any]]:
    """Each playbook's replication lag as its heartbeat item shows it now (best effort)."""
    lags = []
    for loaded in served.playbooks.values():
        canary = Canary(loaded.playbook, aws, ServingRegion(loaded.playbook, aws), clock)
        try:
            lag = canary.read_lag(clock.now())
        except DrctlError:
            continue
        if lag is not None:
            lags.append(lag_dict(loaded.playbook.name, lag))
    return lags


def lag_dict(playbook: str, lag: Lag) -> dict[str, Any]:
    return {"playbook": playbook, "from": lag.source, "to": lag.target, "seconds": lag.seconds}


def scrape(metrics: ControllerMetrics, jobs: list[Job], state: ScheduleState,
           now: datetime) -> bytes:
    for view in schedule_views(jobs, state, now):
        metrics.schedule(view.job.key, view.next_fire, (view.last or {}).get("result"))
    return metrics.render()


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
