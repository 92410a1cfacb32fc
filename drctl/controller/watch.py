"""The alarm watch: poll the detection alarms of the region taking traffic; when the playbook's
criteria have held long enough, open one failover to the other region.

One incident opens one run: the incident (playbook + the alarm transition it started with) is
claimed by a conditional write before anything is opened, and the failover itself takes the
playbook's lock -- so neither a second poll nor a second controller opens another.
The controller never edits the alarms.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog

from drctl.aws.estate import Aws
from drctl.controller.canary import REFRESH, ServingRegion
from drctl.controller.detect import BLIND, Detection, evaluate, evaluate_blind, watched_alarms
from drctl.controller.execute import EngineOptions
from drctl.controller.runners import LoadedPlaybook
from drctl.controller.state import Claimant, ScheduleState
from drctl.core.clock import Clock, iso
from drctl.core.commands import drctl
from drctl.core.engine import Engine, Subscriber
from drctl.core.errors import DrctlError
from drctl.core.operator import ScriptedOperator
from drctl.failover.approval import Person, current_person
from drctl.failover.runner import run_failover
from drctl.failover.spec import FailoverDeps, FailoverOptions
from drctl.notify.channels import build_channels
from drctl.store.base import Store

log = structlog.get_logger("drctl.controller")


class DetectionEngine(Engine):
    """The engine of a failover the watch opens: its run carries how it was detected, with the
    latency from the criteria being met to the run being opened."""

    def __init__(self, store: Store, clock: Clock, detection: Detection,
                 subscribers: Sequence[Subscriber], options: EngineOptions) -> None:
        super().__init__(store, clock, subscribers, interrupt=options.interrupt,
                         identity=options.identity)
        self.detection = detection
        self.run_ids: list[str] = []

    def start(self, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
        detection = self.detection.to_dict(self.clock.now())
        run_id = super().start(kind, {**params, "trigger": {"watch": "detection alarms"},
                                      "detection": detection}, run_id)
        self.run_ids.append(run_id)
        log.warning("failover_opened", run_id=run_id, playbook=self.detection.playbook,
                    latency_seconds=detection["latency_seconds"])
        return run_id


@dataclass
class WatchContext:
    aws: Aws
    store: Store
    clock: Clock
    state: ScheduleState
    who: Claimant
    engine_options: EngineOptions
    submit: Callable[[Callable[[], None]], None]   # runs work on a worker thread
    subscribers: Callable[[str], list[Subscriber]]
    # The polls' reads (alarms, health checks, the serving region): clients that fail fast,
    # since the next poll comes soon (drctl.aws.clients.fail_fast_factory). None: `aws`.
    reads: Aws | None = None

    @property
    def poll_aws(self) -> Aws:
        return self.reads or self.aws

    def engine(self, name: str) -> Engine:
        return Engine(self.store, self.clock, self.subscribers(name),
                      interrupt=self.engine_options.interrupt,
                      identity=self.engine_options.identity)


class AlarmWatch:
    def __init__(self, loaded: LoadedPlaybook, ctx: WatchContext) -> None:
        self.loaded = loaded
        self.ctx = ctx
        self.interval = timedelta(seconds=loaded.playbook.controller.poll_interval)
        self.next_poll: datetime | None = None
        self.serving = ServingRegion(loaded.playbook, ctx.poll_aws)
        self._blind_since: datetime | None = None  # alarms unreadable, health checks failing
        self._serving_until: datetime | None = None
        self.unreadable: str | None = None  # why the last poll could not read the alarms

    def problem(self) -> str | None:
        """What /healthz lists while the watch cannot read the alarms (a blind controller
        still ticks: it must not look healthy and say nothing)."""
        if self.unreadable is None:
            return None
        return f"{self.loaded.playbook.name}: alarm watch: {self.unreadable}"

    def poll_now(self) -> None:
        """The next round polls this watch whatever its interval (an alarm event came)."""
        self.next_poll = None

    def poll(self, now: datetime) -> datetime:
        """Look once; open a failover if due. Returns when to look next."""
        wake = now + self.interval
        try:
            serving = self._serving_region(now)
        except DrctlError as exc:
            log.warning("alarm_watch_cannot_read", playbook=self.loaded.playbook.name,
                        error=str(exc))
            self.unreadable = f"cannot tell which region serves: {exc}"
            return wake
        try:
            states = self.ctx.poll_aws.cloudwatch(serving).alarms(
                watched_alarms(self.loaded.playbook, serving))
        except DrctlError as exc:
            self.unreadable = f"cannot read the alarms in {serving}: {exc}"
            detection, due = self._blind(serving, now, exc)
        else:
            self._blind_since = self.unreadable = None
            detection, due = evaluate(self.loaded.playbook, serving, states, now)
        if detection is not None:
            self._open(detection, now)
        self.next_poll = min(wake, due) if due else wake
        return self.next_poll

    def _serving_region(self, now: datetime) -> str:
        """Route53 is read again every REFRESH, not at every poll: an alarm event's poll then
        costs one call (DescribeAlarms), and traffic moves only with a failover."""
        if self._serving_until is None or now >= self._serving_until or not self.serving.last:
            self.serving.region()
            self._serving_until = now + REFRESH
        return self.serving.last

    def _blind(self, region: str, now: datetime, exc: DrctlError
               ) -> tuple[Detection | None, datetime | None]:
        """The alarms cannot be read: the region's Route53 health checks decide."""
        checks: dict[str, bool] = {}
        try:
            route53 = self.ctx.poll_aws.route53()
            checks = {check: route53.health_check_healthy(check)
                      for check in self.serving.health_checks(region)}
        except DrctlError as unreadable:
            log.warning("health_checks_unreadable", region=region, error=str(unreadable))
        failing = bool(checks) and not any(checks.values())
        if not failing:
            self._blind_since = None
        elif self._blind_since is None:
            self._blind_since = now
        log.warning("alarm_watch_cannot_read", playbook=self.loaded.playbook.name,
                    region=region, error=str(exc), health_checks=checks,
                    outage_signal_since=iso(self._blind_since))
        return evaluate_blind(self.loaded.playbook, region, self._blind_since, checks, now)

    def _open(self, detection: Detection, now: datetime) -> None:
        key = f"{detection.playbook}/failover"
        if not self.ctx.state.claim(key, detection.holds_since, self.ctx.who, now):
            return  # this incident was already opened (here, or by another controller)
        detection = replace(detection, decided_at=self.ctx.clock.now())
        log.warning("failover_criteria_met", playbook=detection.playbook,
                    region=detection.region, alarms=list(detection.alarms),
                    alarm_transition_at=iso(detection.holds_since))
        self.ctx.submit(lambda: self._run_failover(detection))

    def _run_failover(self, detection: Detection) -> None:
        playbook = self.loaded.playbook
        target = next(r for r in playbook.regions if r != detection.region)
        # A controller has no terminal: `prompt` waits for `drctl approve` like `approval`.
        # Without readable alarms the incident began when the controller saw the signal.
        options = FailoverOptions(
            approval=playbook.confirmation.mode != "none",
            incident_start=detection.holds_since if detection.signal == BLIND else None,
            incident_start_source=f"controller: {BLIND}")
        engine = DetectionEngine(self.ctx.store, self.ctx.clock, detection,
                                 self.ctx.subscribers(f"{playbook.name}/failover"),
                                 self.ctx.engine_options)
        try:
            run = run_failover(playbook, str(self.loaded.path), target,
                               failover_deps(self.loaded, self.ctx), engine, options)
        except DrctlError as exc:
            log.error("failover_ended", playbook=playbook.name, run_id=exc.run_id,
                      error=exc.message, hint=exc.hint)
            return
        except KeyboardInterrupt:  # the controller is stopping: journaled `interrupted`
            log.warning("failover_interrupted", playbook=playbook.name,
                        run_ids=engine.run_ids,
                        resume=[drctl("failover", "--resume", run_id)
                                for run_id in engine.run_ids])
            return
        log.warning("failover_ended", playbook=playbook.name, run_id=run.run_id,
                    status=str(run.status))



def failover_deps(loaded: LoadedPlaybook, ctx: WatchContext) -> FailoverDeps:
    """A failover's collaborators in the controller: no terminal, notifications logged too,
    and the controller (not a person) as the executor -- so any person may approve."""
    env = dict(os.environ)
    playbook = loaded.playbook

    def console(text: str) -> None:
        log.warning("notify", message=text)

    return FailoverDeps(
        aws=ctx.aws, clock=ctx.clock, operator=ScriptedOperator(interactive=False),
        channels=lambda region: build_channels(playbook.notify, ctx.aws, region, env,
                                               console=console),
        executor=Person(f"drctl controller {ctx.who.id}", current_person(ctx.aws).aws))
