"""Step 6, notify: tell every channel, through the target region. A failing channel is
recorded and logged; it never fails the failover (the recovery already happened)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog

from drctl.core.durations import format_duration
from drctl.core.errors import DrctlError
from drctl.core.measurement import Measurement
from drctl.core.run import Run
from drctl.core.step import StepContext
from drctl.failover.base import FailoverStep
from drctl.failover.measure import measurement_from_facts
from drctl.failover.spec import FailoverSpec
from drctl.notify.base import Notification
from drctl.report.records import Figure, record_from_run
from drctl.report.summary import RunSummary, summarize

log = structlog.get_logger("drctl.failover")


class Notify(FailoverStep):
    name = "notify"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        measurement = measurement_from_facts(self.spec.playbook, ctx.facts)
        note = failover_notification(ctx.run_id, self.spec, measurement,
                                     self._summary(ctx, measurement))
        try:
            channels, skipped = self.deps.channels(self.spec.target_region)
        except DrctlError as exc:  # the recovery already happened: record, never fail on it
            channels, skipped = [], [f"channels: {exc}"]
        results = [{"channel": name, "ok": False, "detail": "skipped"} for name in skipped]
        for name in skipped:  # never shown as delivered: each says why, on screen too
            ctx.report(name)
        for channel in channels:
            try:
                results.append({"channel": channel.name, "ok": True, "detail": channel.send(note)})
            except Exception as exc:  # any channel failure: record it and go on
                log.warning("notify_channel_failed", channel=channel.name, error=str(exc))
                ctx.report(f"{channel.name}: failed ({exc})")
                results.append({"channel": channel.name, "ok": False, "detail": str(exc)})
        delivered = f"{sum(1 for r in results if r['ok'])} of {len(results)} channels"
        ctx.report(f"notified {delivered}")
        return {"notifications": results, "delivered": delivered}


    def _summary(self, ctx: StepContext, measurement: Measurement) -> RunSummary | None:
        """The run so far (this step still running), with the measurement the failover will
        journal, against the earlier failovers of this playbook."""
        if ctx.journal is None:
            return None
        record = record_from_run(Run.from_events(ctx.journal.events()))
        m = measurement
        record = replace(
            record, rto=Figure(m.rto_seconds, m.rto_target_seconds, m.rto_met),
            rpo=Figure(m.rpo.seconds if m.rpo else None, m.rpo_target_seconds, m.rpo_met))
        history = [r for r in self.deps.history() if r.playbook == self.spec.playbook.name]
        return summarize(record, history, ctx.now())


def failover_notification(run_id: str, spec: FailoverSpec, m: Measurement,
                          summary: RunSummary | None = None) -> Notification:
    def verdict(met: bool, value: float | None) -> str:
        return "not measured" if value is None else "met" if met else "MISSED"

    rpo = m.rpo.seconds if m.rpo else None
    text = (
        f"drctl failover {run_id}: traffic for {spec.playbook.name} moved from "
        f"{spec.failed_region} to {spec.target_region}.\n"
        f"RTO {format_duration(m.rto_seconds)} (target {format_duration(m.rto_target_seconds)}, "
        f"{verdict(m.rto_met, m.rto_seconds)}); RPO {format_duration(rpo)} "
        f"(target {format_duration(m.rpo_target_seconds)}, {verdict(m.rpo_met, rpo)})"
        + (f" from {m.rpo.source}" if m.rpo else "")
    )
    data = {"run_id": run_id, "target_region": spec.target_region,
            "failed_region": spec.failed_region, **m.to_dict()}
    if summary is not None:
        text = "\n".join([text, *summary.timing_lines, summary.commands_line])
        data["summary"] = summary.to_dict()
    return Notification(
        subject=f"[drctl] failover to {spec.target_region} completed ({run_id})",
        text=text, data=data,
    )
