"""Step 6, notify: tell every channel, through the target region. A failing channel is
recorded and logged; it never fails the failover (the recovery already happened)."""

from __future__ import annotations

from typing import Any

import structlog

from drctl.core.durations import format_duration
from drctl.core.errors import DrctlError
from drctl.core.measurement import Measurement
from drctl.core.step import StepContext
from drctl.failover.base import FailoverStep
from drctl.failover.measure import measurement_from_facts
from drctl.failover.spec import FailoverSpec
from drctl.notify.base import Notification

log = structlog.get_logger("drctl.failover")


class Notify(FailoverStep):
    name = "notify"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        measurement = measurement_from_facts(self.spec.playbook, ctx.facts)
        note = failover_notification(ctx.run_id, self.spec, measurement)
        try:
            channels, skipped = self.deps.channels(self.spec.target_region)
        except DrctlError as exc:  # the recovery already happened: record, never fail on it
            channels, skipped = [], [f"channels: {exc}"]
        results = [{"channel": name, "ok": False, "detail": "skipped"} for name in skipped]
        for channel in channels:
            try:
                results.append({"channel": channel.name, "ok": True, "detail": channel.send(note)})
            except Exception as exc:  # any channel failure: record it and go on
                log.warning("notify_channel_failed", channel=channel.name, error=str(exc))
                ctx.report(f"{channel.name} failed: {exc}")
                results.append({"channel": channel.name, "ok": False, "detail": str(exc)})
        return {"notifications": results}


def failover_notification(run_id: str, spec: FailoverSpec, m: Measurement) -> Notification:
    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    rpo = m.rpo.seconds if m.rpo else None
    text = (
        f"drctl failover {run_id}: traffic for {spec.playbook.name} moved from "
        f"{spec.failed_region} to {spec.target_region}.\n"
        f"RTO {format_duration(m.rto_seconds)} (target {format_duration(m.rto_target_seconds)}, "
        f"{verdict(m.rto_met)}); RPO {format_duration(rpo)} "
        f"(target {format_duration(m.rpo_target_seconds)}, {verdict(m.rpo_met)})"
        + (f" from {m.rpo.source}" if m.rpo else "")
    )
    return Notification(
        subject=f"[drctl] failover to {spec.target_region} completed ({run_id})",
        text=text,
        data={"run_id": run_id, "target_region": spec.target_region,
              "failed_region": spec.failed_region, **m.to_dict()},
    )
