"""Step 1, detect: read the failed region's detection alarms and fix the incident start."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drctl.aws.cloudwatch import AlarmState
from drctl.core.clock import iso
from drctl.core.errors import AwsError, NotConfirmed
from drctl.core.step import StepContext, StepPolicy
from drctl.failover.base import FailoverStep
from drctl.failover.outputs import IncidentStart


class Detect(FailoverStep):
    name = "detect"
    policy = StepPolicy(retries=2)

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        began = ctx.now()  # the failover's start: before anyone is asked anything
        failed = self.spec.failed_region
        names = self.spec.playbook.alarms_for(failed)
        try:
            alarms = self.deps.aws.cloudwatch(failed).alarms(names)
        except AwsError as exc:
            # The failed region's API may itself be down: that is no reason to stop a failover.
            ctx.report(f"cannot read alarms in {failed}: {exc}")
            alarms = []
        firing = [a for a in alarms if a.state == "ALARM"]
        output: dict[str, Any] = {
            "failed_region": failed,
            "alarms": [{"name": a.name, "state": a.state, "since": iso(a.updated_at)}
                       for a in alarms],
        }
        start = self._incident_start(firing, began)
        ctx.report(f"incident start {iso(start.at)} ({start.source})")
        return {**output, **start.to_output()}

    def _incident_start(self, firing: list[AlarmState], began: datetime) -> IncidentStart:
        override = self.spec.options.incident_start
        if override is not None:
            return IncidentStart(override, self.spec.options.incident_start_source)
        if firing:
            earliest = min(firing, key=lambda a: a.updated_at)
            return IncidentStart(earliest.updated_at, f"alarm:{earliest.name}")
        self._proceed_without_alarm(self.spec.failed_region)
        # From the failover's start, as documented: the operator's thinking time counts.
        return IncidentStart(began, "failover_start")

    def _proceed_without_alarm(self, failed: str) -> None:
        """No alarm fires: the operator may know more than the alarms, so ask — never assume."""
        if self.spec.options.yes:
            return
        question = f"No detection alarm is in ALARM in {failed}. Fail over anyway? [y/N] "
        if not self.deps.operator.interactive:
            raise NotConfirmed(
                f"no detection alarm is in ALARM in {failed} and there is no TTY to ask",
                hint="pass --yes to fail over anyway, or --incident-start to give the start",
            )
        if self.deps.operator.ask(question).lower() not in ("y", "yes"):
            raise NotConfirmed("the operator chose not to fail over without an alarm")
