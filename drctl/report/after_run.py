"""When a run ends: its summary printed and sent through the notify channels, its metrics
published. An engine subscriber, so every kind of run -- failover, drill, chaos, a scheduled
one -- gets it from the one place runs end (`run_finished`).

A failover whose `notify` step succeeded has already sent its summary (with the measurement)
to every channel; only a failover that failed before that step is announced here. A runbook run
is announced through its own channels (`runbook_after_run`). Nothing in here can fail a run:
every failure is logged and the run's result stands.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from drctl.aws.estate import Aws
from drctl.core.clock import Clock
from drctl.core.events import Event
from drctl.core.run import Run, StepStatus
from drctl.notify.base import Channel, Notification
from drctl.notify.channels import build_channels
from drctl.playbook.schema import Playbook
from drctl.report.metrics import MetricsPublisher
from drctl.report.records import RunRecord, load_records, record_from_run
from drctl.report.summary import RunSummary, summarize
from drctl.store.base import Store, load_run

log = structlog.get_logger("drctl.report")

Channels = Callable[[str], tuple[list[Channel], list[str]]]


@dataclass
class AfterRun:
    store: Store
    clock: Clock
    channels: Channels | None            # region -> channels (None: do not send)
    publish: Callable[[RunRecord], str] | None  # metrics publisher (None: off)
    show: Callable[[str], None]           # where the summary is printed
    region: str                           # for a run that does not say where it ended
    # The command that started the run renders it itself (steps, error, RTO/RPO): print only
    # the summary's footer, so nothing is shown twice. False: the whole summary (controller).
    brief: bool = False

    def __call__(self, event: Event) -> None:
        if event.type != "run_finished":
            return
        run = load_run(self.store, event.run_id)
        summary = self.summary(run)
        if not _notified(run):
            self.show(summary.footer if self.brief else summary.text)
            self._send(summary)
        if self.publish is not None:
            self._publish(summary.record)

    def summary(self, run: Run) -> RunSummary:
        record = record_from_run(run)
        history = [r for r in load_records(self.store, run.kind)
                   if r.playbook == record.playbook]
        return summarize(record, history, self.clock.now())

    def _send(self, summary: RunSummary) -> None:
        if self.channels is None:
            return
        region = summary.record.region or self.region
        try:
            channels, _ = self.channels(region)
        except Exception as exc:  # e.g. a required webhook not set: the run already ended
            log.warning("summary_not_sent", run_id=summary.record.run_id, error=str(exc))
            return
        note = notification(summary)
        for channel in channels:
            if channel.name == "console":
                continue  # printed above
            try:
                channel.send(note)
            except Exception as exc:
                log.warning("summary_channel_failed", run_id=summary.record.run_id,
                            channel=channel.name, error=str(exc))

    def _publish(self, record: RunRecord) -> None:
        assert self.publish is not None
        try:
            region = self.publish(record)
        except Exception as exc:
            log.warning("metrics_not_published", run_id=record.run_id, error=str(exc))
            return
        log.info("metrics_published", run_id=record.run_id, region=region)


def after_run_for(store: Store, clock: Clock, aws: Aws, playbook: Playbook,
                  show: Callable[[str], None], brief: bool = False) -> AfterRun:
    """The subscriber for runs of `playbook`: its channels, its metrics setting. `brief`:
    the caller renders each run itself, so only the summary's footer is printed."""
    env = dict(os.environ)
    publish = (MetricsPublisher(aws, playbook.primary_region)
               if playbook.metrics.cloudwatch else None)
    return AfterRun(store, clock,
                    channels=lambda region: build_channels(playbook.notify, aws, region, env),
                    publish=publish, show=show, region=playbook.primary_region, brief=brief)


def runbook_after_run(store: Store, clock: Clock, aws: Aws, playbook: Playbook | None,
                      channels: Callable[[], list[Channel]], region: str,
                      show: Callable[[str], None], brief: bool = False) -> AfterRun:
    """The subscriber for runbook runs: `channels` are the runbook's own (its front matter's
    `notify`, else its playbook's); metrics follow the playbook's setting (on without one),
    with the playbook's name as the `Playbook` dimension ("-" without one). `region`: where
    a run that names none (no `target_region`/`region` param) is published."""
    on = playbook is None or playbook.metrics.cloudwatch
    name = playbook.name if playbook is not None else None
    return AfterRun(store, clock, channels=lambda _region: (channels(), []),
                    publish=MetricsPublisher(aws, region, name) if on else None,
                    show=show, region=region, brief=brief)


class PerPlaybook:
    """For a process that runs several playbooks' runs (the controller): each finished run
    goes to its own playbook's AfterRun; a runbook run (it names its playbook by path) to the
    one `runbooks` builds for it; a run of a playbook not served is left alone."""

    def __init__(self, store: Store, by_playbook: dict[str, AfterRun],
                 runbooks: Callable[[Run], AfterRun | None] | None = None) -> None:
        self._store, self._by_playbook, self._runbooks = store, by_playbook, runbooks

    def __call__(self, event: Event) -> None:
        if event.type != "run_finished":
            return
        run = load_run(self._store, event.run_id)
        if run.kind == "runbook":
            after = self._runbooks(run) if self._runbooks is not None else None
        else:
            after = self._by_playbook.get(str(run.params.get("playbook")))
        if after is not None:
            after(event)


def notification(summary: RunSummary) -> Notification:
    record = summary.record
    return Notification(
        subject=f"[drctl] {record.kind} {summary.outcome} ({record.run_id})",
        text="\n".join([summary.headline, *summary.lines, summary.commands_line]),
        data=summary.to_dict(),
    )


def _notified(run: Run) -> bool:
    """Did the failover's own notify step send its summary? (A runbook step may be called
    `notify` too: it is the runbook's, not this summary.)"""
    return run.kind == "failover" and any(
        s.name == "notify" and s.status is StepStatus.SUCCEEDED for s in run.steps)
