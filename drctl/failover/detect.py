"""Step 1, detect: read the failed region's detection alarms and fix the incident start."""

from __future__ import annotations

from typing import Any

from drctl.core.clock import iso
from drctl.core.errors import AwsError, NotConfirmed
from drctl.core.step import StepContext, StepPolicy
from drctl.failover.base import FailoverStep


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
        override = self.spec.options.incident_start
        if override is not None:
            output.update(incident_start=iso(override), incident_start_source="operator")
        elif firing:
            earliest = min(firing, key=lambda a: a.updated_at)
            output.update(incident_start=iso(earliest.updated_at),
                          incident_start_source=f"alarm:{earliest.name}")
        else:
            self._proceed_without_alarm(failed)
            # From the failover's start, as documented: the operator's thinking time counts.
            output.update(incident_start=iso(began), incident_start_source="failover_start")
        ctx.report(f"incident start {output['incident_start']} ({output['incident_start_source']})")
        return output

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
