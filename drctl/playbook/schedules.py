"""The playbook's `schedules:` and `controller:` sections: what the controller runs, when.

    schedules:
      - name: api-task-loss
        cron: "0 10 * * 1-4"          # five-field crontab, in `timezone` (default UTC)
        timezone: Europe/Berlin
        jitter: 5m                     # start up to this much later (the same on every controller)
        misfire_grace: 10m             # a fire found this late still runs; later ones are `missed`
        blocked_windows: [{days: [fri], start: "16:00", end: "23:59"}]
        chaos: ../experiments/ecs-task-loss.json   # relative to the playbook's file
        vars: {service: api}
      - name: pois-pitr
        every: 1h                      # fires at multiples of 1h since the Unix epoch
        drill: {target: "dynamodb:roadtrip-pois", kind: pitr}

One place lists what runs when: the experiment extension's old `schedule` key is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drctl.playbook.fields import Duration as Seconds
from drctl.playbook.windows import BlockedWindow, known_zone

Scalar = str | int | float | bool
# A window is the same weekly window the experiment extension uses for blocked windows.
Window = BlockedWindow


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScheduledDrill(_Model):
    target: str = Field(description="a drill target of this playbook: dynamodb:T or rds:I")
    kind: Literal["pitr", "snapshot", "cross-region"] | None = Field(
        None, description="default: the first kind the target declares")


class Schedule(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    cron: str | None = None
    timezone: str = "UTC"
    every: Seconds | None = None
    jitter: Seconds = 0.0
    misfire_grace: Seconds = 300.0
    windows: list[Window] = Field(default_factory=list, description="allowed (default: always)")
    blocked_windows: list[Window] = Field(default_factory=list)
    chaos: str | None = None
    vars: dict[str, Scalar] = Field(default_factory=dict)
    drill: ScheduledDrill | None = None
    runbook: str | None = None
    params: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("cron")
    @classmethod
    def _crontab(cls, value: str | None) -> str | None:
        if value is not None:
            check_crontab(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        if (self.cron is None) == (self.every is None):
            raise ValueError("give exactly one trigger: cron (with timezone) or every")
        if self.every is not None and self.every < 1:
            raise ValueError("every: at least 1s")
        actions = [a for a in (self.chaos, self.drill, self.runbook) if a is not None]
        if len(actions) != 1:
            raise ValueError("give exactly one of chaos, drill or runbook")
        if self.vars and self.chaos is None:
            raise ValueError("vars are for a chaos experiment")
        if self.params and self.runbook is None:
            raise ValueError("params are for a runbook")
        return self

    @property
    def kind(self) -> str:
        """The kind of run a fire starts: chaos, drill or runbook."""
        return "chaos" if self.chaos else "drill" if self.drill else "runbook"

    @property
    def disruptive(self) -> bool:
        """Chaos and restoring drills take the playbook's one disruptive slot."""
        return self.kind in ("chaos", "drill")

    @property
    def trigger_text(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron} ({self.timezone})"
        return f"every {self.every:g}s"


def check_crontab(expr: str) -> None:
    """Five fields, each acceptable to APScheduler's CronTrigger. ValueError otherwise."""
    if len(expr.split()) != 5:
        raise ValueError(f"cron {expr!r}: five fields (minute hour day month day-of-week)")
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:  # the controller extra is not installed: the shape is all we can check
        return
    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"cron {expr!r}: {exc}") from None


class FailoverCriteria(_Model):
    """When the controller opens a failover: `any`/`all` of the detection alarms (or those
    listed) in ALARM continuously for `for` (against flapping)."""

    when: Literal["any", "all"] = "any"
    for_: Seconds = Field(30.0, alias="for")
    alarms: list[str] = Field(default_factory=list, description="default: every detection alarm")


class Canary(_Model):
    """The RPO canary: the controller writes the heartbeat item into the region taking traffic."""

    enabled: bool = True
    every: Seconds = 1.0


class ControllerSettings(_Model):
    watch: bool = Field(True, description="open a failover when the criteria hold")
    poll_interval: Seconds = 5.0
    resume: Literal["auto", "notify"] = Field(
        "notify", description="a failover a dead controller left: resume it, or tell on-call")
    canary: Canary = Field(default_factory=lambda: Canary.model_validate({}))


def unique_names(schedules: list[Schedule]) -> list[Schedule]:
    seen: set[str] = set()
    for schedule in schedules:
        if schedule.name in seen:
            raise ValueError(f"two schedules are named {schedule.name!r}")
        seen.add(schedule.name)
    return schedules
