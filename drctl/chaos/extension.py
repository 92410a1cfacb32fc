"""What an experiment tells drctl about itself: its `extensions` entry named `drctl`.

    "extensions": [{
        "name": "drctl",
        "target_regions": ["us-west-2"],          # default: the experiment's aws_region
        "scope": "resource",                       # resource | az | region
        "guard_alarms": ["roadtrip-api-5xx-{region}"],   # {region}: each target region
        "blocked_windows": [{"days": ["fri"], "start": "16:00", "end": "23:59"}],
        "exclusive": true                          # false: may run alongside other chaos/drills
    }]

Chaos Toolkit ignores extensions it does not know, so the same file still runs under `chaos run`.
Unknown keys are refused (a misspelt `guard_alarm` must not silently disable a guard). When an
experiment runs is said in one place, the playbook's `schedules:`, so a `schedule` key here is
refused with a pointer there.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from drctl.core.errors import InvalidInput
from drctl.playbook.windows import BlockedWindow

EXTENSION_NAME = "drctl"
Scope = Literal["resource", "az", "region"]
MOVED_SCHEDULE = ("`schedule` is not read here any more: list it in the playbook's `schedules:` "
                  "(name, cron or every, chaos: PATH-TO-THIS-FILE); see `drctl schedule list`")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GuardRails(_Model):
    name: Literal["drctl"] = "drctl"
    target_regions: list[str] = Field(default_factory=list)
    scope: Scope = "resource"
    guard_alarms: list[str] = Field(default_factory=list)
    blocked_windows: list[BlockedWindow] = Field(default_factory=list)
    # One disruptive run per playbook at a time (drctl/core/exclusive.py) unless this says the
    # experiment may run alongside others (false).
    exclusive: bool = True

    @model_validator(mode="before")
    @classmethod
    def _no_schedule(cls, data: Any) -> Any:
        if isinstance(data, dict) and "schedule" in data:
            raise ValueError(MOVED_SCHEDULE)
        return data

    def alarms_in(self, region: str) -> list[str]:
        return [name.replace("{region}", region) for name in self.guard_alarms]


def guard_rails(experiment: dict[str, Any]) -> GuardRails:
    """The experiment's `drctl` extension, or the defaults. InvalidInput (exit 2) when it is
    malformed."""
    entries = [e for e in experiment.get("extensions") or []
               if isinstance(e, dict) and e.get("name") == EXTENSION_NAME]
    if len(entries) > 1:
        raise InvalidInput("the experiment has more than one `drctl` extension")
    try:
        return GuardRails.model_validate(entries[0] if entries else {})
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise InvalidInput(f"extension `drctl`: {problems}") from None


def _problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {message}" if where else message
