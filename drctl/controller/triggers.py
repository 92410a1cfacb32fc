"""When a schedule fires: APScheduler 3.11's triggers decide, without jitter, so every controller
computes the same nominal fire times (`every:` is aligned to the Unix epoch).

Jitter is a delay after the nominal time, derived from the schedule and the fire time, so two
controllers agree on it too (APScheduler's own jitter is random per process).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from drctl.core.clock import iso
from drctl.playbook.schedules import Schedule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_JUST_AFTER = timedelta(microseconds=1)


class Trigger(Protocol):
    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime
                           ) -> datetime | None: ...


def trigger_for(schedule: Schedule) -> Trigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)
    assert schedule.every is not None
    return IntervalTrigger(seconds=schedule.every, start_date=EPOCH, timezone=UTC)


def next_fire(trigger: Trigger, after: datetime) -> datetime | None:
    """The first nominal fire time strictly after `after`."""
    found = trigger.get_next_fire_time(None, after + _JUST_AFTER)
    return found.astimezone(UTC) if found else None


def fires_after(trigger: Trigger, after: datetime) -> Iterator[datetime]:
    """Nominal fire times strictly after `after`, in order (endless for a recurring trigger)."""
    current = next_fire(trigger, after)
    while current is not None:
        yield current
        found = trigger.get_next_fire_time(current, current)
        current = found.astimezone(UTC) if found else None


def jitter_delay(key: str, fire_time: datetime, jitter: float) -> float:
    """Seconds after `fire_time` this fire is due: in [0, jitter), the same on every host."""
    if jitter <= 0:
        return 0.0
    digest = hashlib.sha256(f"{key}@{iso(fire_time)}".encode()).digest()
    return jitter * int.from_bytes(digest[:8], "big") / 2**64
