"""Weekly windows (when chaos must not start) and time zones: shared by the playbook's
`schedules:` and an experiment's `drctl` extension. Here, in the playbook package, because the
playbook schema uses them and must not import the chaos package (which imports the playbook).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def known_zone(value: str) -> str:
    """`value` if it names an IANA time zone; ValueError otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class BlockedWindow(_Model):
    """A weekly window when chaos must not start: a release, peak traffic, a holiday freeze.
    `end` before `start` spans midnight (the window starts on a listed day)."""

    days: list[Day] = Field(default_factory=lambda: list(DAYS))
    start: time
    end: time
    timezone: str = "UTC"
    reason: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    def contains(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        today, yesterday = DAYS[local.weekday()], DAYS[(local - timedelta(days=1)).weekday()]
        clock = local.time()
        if self.start <= self.end:
            return today in self.days and self.start <= clock < self.end
        return (today in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end)

    def describe(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return (f"{','.join(self.days)} {self.start:%H:%M}-{self.end:%H:%M} "
                f"{self.timezone}{why}")
