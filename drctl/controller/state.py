"""What the store remembers of each schedule, shared by every controller on that store.

    schedule.cursor:<key>   a nominal fire time: every fire up to it is journaled (run, skipped
                            or missed); later ones are judged by their claims
    schedule.paused:<key>   who paused it, when and why (absent: not paused)
    schedule.last:<key>     the newest fire's run id, fire time and result
    schedule.pauses         changed by every pause and resume (a version)
    lock schedule-fire:<key>@<fire time>   the claim: a conditional write, so of two
                                            controllers that both see a fire, one runs it

The claim is the truth; the cursor only saves re-reading fires that are already claimed. A
claim is `pending:<controller>` until its run is journaled, then names the run (`settle`, a
compare-and-swap from the pending claim). So a claim never stands for a fire nobody handles:
another controller's pending claim is taken over once that controller is gone (its presence
lease lapsed, or another controller leads now) -- until then it is watched and looked at again
every tick -- and a settled claim whose run never appeared (its controller died between the two
writes) once it is older than `orphan_after`. Should the first controller be alive after all,
only the one whose settle succeeds runs the fire. A controller that dies after journaling finds
the claim settled after its restart and does not run the fire again.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import structlog

from drctl.controller.tick import JobState
from drctl.core.clock import iso, parse_iso
from drctl.core.errors import InvalidInput
from drctl.core.identity import Owner
from drctl.store.base import LockHeld, LockHolder, Store

CURSOR, PAUSED, LAST = "schedule.cursor:", "schedule.paused:", "schedule.last:"
# Changed by every pause and resume: one read per tick tells a controller whether to read the
# schedules' pause records again (1,000 reads a tick otherwise).
PAUSES = "schedule.pauses"
CLAIM, PENDING = "schedule-fire:", "pending:"
# A settled claim's run is journaled by the very next write of the same thread: a live
# controller never leaves it missing this long (the controller sets half its lease TTL).
ORPHAN_AFTER = timedelta(seconds=5)
log = structlog.get_logger("drctl.controller")


# A claim of another controller is one of these (`_judge`).
JOURNALED, ORPHAN, WAIT = "journaled", "orphan", "wait"
# A pending claim younger than this is left to its controller even without a presence lease
# (a store shared by controllers that write none, as in the unit tests).
MIN_AGE = timedelta(seconds=1)
PRESENCE = "controller-alive:"


def controller_alive(store: Store, controller_id: str, now: datetime) -> bool:
    """Whether that controller's presence lease (drctl/controller/leader.py) is current."""
    lease = store.lease(PRESENCE + controller_id)
    return lease is not None and not lease.expired(now)


class FireTakenOver(Exception):
    """Settling found the claim taken over: another controller runs this fire, this one must
    not. Not a DrctlError, so no runner mistakes it for a failed run. `left`: the claims of the
    older fires coalesced into it, still this controller's (pending) and not settled: the
    caller must journal them (drctl/controller/execute.py), or they stay pending for good."""

    def __init__(self, message: str, left: tuple[LockHolder, ...] = ()) -> None:
        super().__init__(message)
        self.left = left


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


def _ms(when: datetime) -> datetime:
    """The time as the store keeps it (milliseconds), so a claim compares equal when read."""
    return parse_iso(iso(when) or "")


def _holder(key: str, fire_time: datetime, run_id: str, who: Claimant, now: datetime
            ) -> LockHolder:
    return _holder_named(f"{CLAIM}{key}@{iso(fire_time)}", run_id, who, now)


def _holder_named(name: str, run_id: str, who: Claimant, now: datetime) -> LockHolder:
    return LockHolder(name, run_id, who.owner.user, who.owner.host, who.owner.pid, _ms(now))


def claim_fire(name: str) -> tuple[str, datetime]:
    """(job key, nominal fire time) of a claim's lock name."""
    key, _, stamp = name.removeprefix(CLAIM).rpartition("@")
    return key, parse_iso(stamp)


class ScheduleState:
    def __init__(self, store: Store, orphan_after: timedelta = ORPHAN_AFTER,
                 leader_lease: str | None = None) -> None:
        self.store = store
        self.orphan_after = orphan_after
        # Controllers that elect a leader: only the leader claims fires, so a pending claim of
        # a controller that no longer leads is taken over at once (drctl/controller/leader.py).
        self.leader_lease = leader_lease
        self.watched: set[str] = set()  # claims left to a controller that may be alive

    def job_state(self, key: str) -> JobState:
        return JobState(self.cursor(key), self.paused(key) is not None)

    def cursor(self, key: str) -> datetime | None:
        raw = self.store.get_setting(CURSOR + key)
        return parse_iso(raw) if raw else None

    def save_cursor(self, key: str, cursor: datetime) -> None:
        self.save_cursors({key: cursor})

    def save_cursors(self, cursors: dict[str, datetime]) -> None:
        """Several cursors in one store write."""
        self.store.put_settings({CURSOR + key: iso(c) for key, c in cursors.items()})

    def claim(self, key: str, fire_time: datetime, who: Claimant, now: datetime
              ) -> LockHolder | None:
        """Take the fire for this controller (pending). None when another controller (or this
        one, before a restart) already took it."""
        try:
            return self.store.acquire_lock(_holder(key, fire_time, PENDING + who.id, who, now))
        except LockHeld:
            return None

    def claim_or_take_over(self, key: str, fire_time: datetime, who: Claimant, now: datetime
                           ) -> LockHolder | None:
        """Claim the fire, or take over the claim of a controller that never journaled it."""
        return self.claim_all([(key, fire_time)], who, now)[(key, fire_time)]

    def claim_all(self, fires: list[tuple[str, datetime]], who: Claimant, now: datetime
                  ) -> dict[tuple[str, datetime], LockHolder | None]:
        """`claim_or_take_over` for each (key, fire time), the free ones in one store write."""
        mine = {fire: _holder(fire[0], fire[1], PENDING + who.id, who, now) for fire in fires}
        if not mine:
            return {}
        taken = {h.name for h in self.store.acquire_free_locks(list(mine.values()))}
        return {fire: holder if holder.name in taken else self._take_over(holder, who, now)
                for fire, holder in mine.items()}

    def _take_over(self, mine: LockHolder, who: Claimant, now: datetime) -> LockHolder | None:
        previous = self.store.lock(mine.name)
        verdict = self._judge(previous, who, now) if previous is not None else ORPHAN
        if verdict == WAIT:  # not journaled yet by a controller that may be alive: look again
            self.watched.add(mine.name)
        if verdict != ORPHAN:
            return None
        try:
            self.store.acquire_lock(mine, replace=previous)
        except LockHeld:
            return None
        self.watched.discard(mine.name)
        if previous is not None:
            log.warning("fire_taken_over", claim=mine.name, was=previous.describe())
        return mine

    def recheck(self, who: Claimant, now: datetime) -> list[tuple[str, datetime, LockHolder]]:
        """The watched claims of other controllers: each one journaled since is forgotten;
        each one whose controller is gone now is taken over and returned as (job key, fire
        time, this controller's claim), to be run or journaled by the caller."""
        won = []
        for name in list(self.watched):
            self.watched.discard(name)
            fresh = _holder_named(name, PENDING + who.id, who, now)
            taken = self._take_over(fresh, who, now)
            if taken is not None:
                won.append((*claim_fire(name), taken))
        return won

    def watched_fires(self) -> list[tuple[str, datetime]]:
        """(job key, fire time) of each claim left to another controller for now."""
        return [claim_fire(name) for name in list(self.watched)]

    def settle(self, claim: LockHolder, run_id: str, now: datetime) -> None:
        """The claim now names the run about to be journaled. FireTakenOver if another
        controller took the claim over meanwhile (then it runs the fire, not this one)."""
        settled = LockHolder(claim.name, run_id, claim.user, claim.host, claim.pid,
                             _ms(now))
        try:
            self.store.acquire_lock(settled, replace=claim)
        except LockHeld as held:
            raise FireTakenOver(f"{claim.name} was taken over: {held.holder.describe()}"
                                ) from None

    def _judge(self, holder: LockHolder, who: Claimant, now: datetime) -> str:
        """Another controller's claim: JOURNALED (its run is), ORPHAN (not journaled, and its
        controller is gone: its presence lease lapsed, or a settled claim's run never appeared
        within `orphan_after`), or WAIT (not journaled yet; its controller may be alive)."""
        age = now - holder.acquired_at
        if holder.run_id.startswith(PENDING):
            claimant = holder.run_id.removeprefix(PENDING)
            if claimant == who.id:
                return JOURNALED  # this controller's own: it journals it
            gone = age >= MIN_AGE and not controller_alive(self.store, claimant, now)
            return ORPHAN if gone or self._deposed(claimant, now) else WAIT
        if holder.run_id in self.store.ids_with_prefix(holder.run_id, 1):
            return JOURNALED
        return ORPHAN if age >= self.orphan_after else WAIT

    def _deposed(self, claimant: str, now: datetime) -> bool:
        """That controller no longer leads: another one holds the leader lease now. Its claim
        is taken over without waiting for its presence to lapse -- should it be alive after
        all, its settle fails (FireTakenOver) and only this controller journals the fire. (A
        SIGTERM'd new leader must not leave such a fire undecided while it waits.)"""
        if self.leader_lease is None:
            return False
        lease = self.store.lease(self.leader_lease)
        return lease is not None and lease.holder != claimant and not lease.expired(now)

    def claimed_by(self, key: str, fire_time: datetime) -> LockHolder | None:
        return self.store.lock(f"{CLAIM}{key}@{iso(fire_time)}")

    def pause(self, key: str, reason: str, who: Owner, now: datetime) -> Pause:
        if not reason.strip():
            raise InvalidInput("pausing a schedule needs a --reason")
        pause = Pause(who.user, who.host, reason.strip(), iso(now) or "")
        self.store.put_setting(PAUSED + key, json.dumps(asdict(pause)))
        self.store.put_setting(PAUSES, secrets.token_hex(4))
        return pause

    def resume(self, key: str, now: datetime) -> Pause | None:
        """Unpause. Fires that fell in the pause are not caught up: the cursor moves to now."""
        previous = self.paused(key)
        if previous is not None:
            self.save_cursor(key, now)
            self.store.put_setting(PAUSED + key, None)
            self.store.put_setting(PAUSES, secrets.token_hex(4))
        return previous

    def pauses_version(self) -> str | None:
        return self.store.get_setting(PAUSES)

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
