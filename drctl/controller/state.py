"""What the store remembers of each schedule, shared by every controller on that store.

    schedule.cursor:<key>   the newest nominal fire handled (run, skipped or missed)
    schedule.paused:<key>   who paused it, when and why (absent: not paused)
    schedule.last:<key>     the newest fire's run id, fire time and result
    lock schedule-fire:<key>@<fire time>   the claim: a conditional write, so of two
                                            controllers that both see a fire, one runs it

The claim is the truth; the cursor only saves re-reading fires that are already claimed. A
controller that dies between claiming a fire and moving the cursor finds the claim taken after
its restart and does not run the fire again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from drctl.controller.tick import JobState
from drctl.core.clock import iso, parse_iso
from drctl.core.errors import InvalidInput
from drctl.core.identity import Owner
from drctl.store.base import LockHeld, LockHolder, Store

CURSOR, PAUSED, LAST = "schedule.cursor:", "schedule.paused:", "schedule.last:"
CLAIM = "schedule-fire:"


@dataclass(frozen=True)
class Claimant:
    """Who claims fires: the process, and an id unique to this controller's life."""

    owner: Owner
    id: str


@dataclass(frozen=True)
class Pause:
    by: str
    host: str
    reason: str
    at: str

    def describe(self) -> str:
        return f"paused by {self.by} on {self.host} at {self.at}: {self.reason}"


@dataclass(frozen=True)
class LastRun:
    run_id: str | None
    fire_time: str
    result: str          # passed, failed, skipped, missed, running, …
    at: str
    detail: str = ""


class ScheduleState:
    def __init__(self, store: Store) -> None:
        self.store = store

    def job_state(self, key: str) -> JobState:
        return JobState(self.cursor(key), self.paused(key) is not None)

    def cursor(self, key: str) -> datetime | None:
        raw = self.store.get_setting(CURSOR + key)
        return parse_iso(raw) if raw else None

    def save_cursor(self, key: str, cursor: datetime) -> None:
        self.store.put_setting(CURSOR + key, iso(cursor))

    def claim(self, key: str, fire_time: datetime, who: Claimant, now: datetime) -> bool:
        """Take the fire for this controller. False when another controller (or this one,
        before a restart) already took it."""
        holder = LockHolder(f"{CLAIM}{key}@{iso(fire_time)}", who.id, who.owner.user,
                            who.owner.host, who.owner.pid, now)
        try:
            self.store.acquire_lock(holder)
        except LockHeld:
            return False
        return True

    def claimed_by(self, key: str, fire_time: datetime) -> LockHolder | None:
        return self.store.lock(f"{CLAIM}{key}@{iso(fire_time)}")

    def pause(self, key: str, reason: str, who: Owner, now: datetime) -> Pause:
        if not reason.strip():
            raise InvalidInput("pausing a schedule needs a --reason")
        pause = Pause(who.user, who.host, reason.strip(), iso(now) or "")
        self.store.put_setting(PAUSED + key, json.dumps(asdict(pause)))
        return pause

    def resume(self, key: str, now: datetime) -> Pause | None:
        """Unpause. Fires that fell in the pause are not caught up: the cursor moves to now."""
        previous = self.paused(key)
        if previous is not None:
            self.save_cursor(key, now)
            self.store.put_setting(PAUSED + key, None)
        return previous

    def paused(self, key: str) -> Pause | None:
        raw = self.store.get_setting(PAUSED + key)
        if raw is None:
            return None
        try:
            return Pause(**json.loads(raw))
        except (ValueError, TypeError):  # unreadable: stay paused (fail closed)
            return Pause("?", "?", f"unreadable pause record {raw!r}", "?")

    def record(self, key: str, last: LastRun) -> None:
        """Remember `last` unless a newer fire is already recorded (runs end out of order)."""
        current = self.last(key)
        if current is not None and parse_iso(current.fire_time) > parse_iso(last.fire_time):
            return
        self.store.put_setting(LAST + key, json.dumps(asdict(last)))

    def last(self, key: str) -> LastRun | None:
        raw = self.store.get_setting(LAST + key)
        if raw is None:
            return None
        try:
            return LastRun(**json.loads(raw))
        except (ValueError, TypeError):
            return None
