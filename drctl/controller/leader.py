"""The leader lease: of several controllers sharing a store (one per region, on a DynamoDB
global table), exactly one acts; the others wait to take over.

Built on the store's lease API (drctl/core/lease.py): acquire when free or expired, renew every
quarter of the TTL. The renewals run on a thread of their own (`LeaseRenewer`), never on the
tick: a long tick (a slow store, a thousand schedules) must not let the lease lapse while the
leader still acts. And the leader fences itself: it acts only while its lease has a quarter of
the TTL left, so a leader whose renewals fail (store unreachable, thread starved) stops acting
before any other controller can take the lease over; a renewal that finds the lease taken
stops it at once. Fires are claimed one by one as well, so two controllers that both believe
they lead for a moment still never run a fire twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from drctl.controller.state import PRESENCE, Claimant
from drctl.core.clock import Clock
from drctl.core.errors import DrctlError
from drctl.core.lease import Lease, LeaseHeld, LeaseLost
from drctl.core.store import Store

log = structlog.get_logger("drctl.controller")


@dataclass(frozen=True)
class LeaderView:
    leader: bool
    leader_id: str | None
    lease_expires_at: datetime | None


class Leadership:
    def __init__(self, store: Store, name: str, who: Claimant, ttl: float) -> None:
        self.store = store
        self.name = name
        self.who = who
        self.ttl = ttl
        self._lease: Lease | None = None     # ours, while we hold it
        self._seen: Lease | None = None      # the current holder's, as last read
        self.term = 0                        # one more each time this controller is elected
        self._lock = threading.Lock()

    @property
    def renew_every(self) -> timedelta:
        return timedelta(seconds=self.ttl / 4)

    @property
    def fence(self) -> timedelta:
        """Stop acting this long before the lease expires (a renewal is overdue by then)."""
        return timedelta(seconds=self.ttl / 4)

    @property
    def leading(self) -> bool:
        """This controller holds the lease (it may be fenced for the moment: `acts`)."""
        return self._lease is not None

    def acts(self, now: datetime) -> bool:
        """Whether to act as the leader at `now`: the lease is ours with more than the fence
        left. False the moment a renewal found it lost."""
        lease = self._lease
        return lease is not None and now < lease.expires_at - self.fence

    def step(self, now: datetime) -> bool:
        """Renew (leader) or try to take the lease (follower). True while this one holds it."""
        with self._lock:
            try:
                if self._lease is not None:
                    self._lease = self.store.renew_lease(self._lease, self.ttl, now)
                else:
                    self._lease = self.store.acquire_lease(self.name, self.who.id,
                                                           self.who.owner, self.ttl, now)
                    self.term += 1
                    log.warning("leader_elected", lease=self.name, leader_id=self.who.id)
                self._seen = self._lease
            except LeaseLost as exc:
                log.error("leadership_lost", lease=self.name, error=str(exc))
                self._lease = None
            except LeaseHeld as exc:
                self._seen = exc.lease
            except DrctlError as exc:  # unreachable: fenced (`acts`) until a renewal succeeds
                log.error("lease_unreadable", lease=self.name, error=str(exc))
                if self._lease is not None and self._lease.expired(now):
                    self._lease = None
            return self._lease is not None

    def release(self) -> None:
        with self._lock:
            if self._lease is not None:
                try:
                    self.store.release_lease(self._lease)
                except DrctlError as exc:
                    log.error("lease_release_failed", lease=self.name, error=str(exc))
                self._lease = None

    def view(self) -> LeaderView:
        seen = self._seen
        return LeaderView(self.leading, seen.holder if seen else None,
                          seen.expires_at if seen else None)


class LeaseRenewer:
    """Renews the leader lease and this controller's presence on a thread of its own, every
    quarter of the TTL, and tells the loop (`on_change`) when leadership was won or lost."""

    def __init__(self, leadership: Leadership, presence: Presence | None, clock: Clock,
                 on_change: Callable[[], None]) -> None:
        self.leadership, self.presence, self.clock = leadership, presence, clock
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """One renewal round (the thread's; also called once before the first tick)."""
        was = self.leadership.leading
        now = self.clock.now()
        is_now = self.leadership.step(now)
        if self.presence is not None:
            self.presence.step(self.clock.now())
        if is_now != was:
            self.on_change()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="drctl-leader-lease",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.leadership.ttl)

    def _run(self) -> None:
        interval = self.leadership.renew_every.total_seconds()
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception:  # never let the renewals die quietly: the fence stops acting
                log.exception("lease_renewal_crashed")


class Presence:
    """This controller's own lease, renewed with the leader lease, leader or not: how a controller
    starting up tells what a dead controller left behind (its alarm queues) from what a live
    one uses."""

    def __init__(self, store: Store, who: Claimant, ttl: float) -> None:
        self.store, self.who, self.ttl = store, who, ttl
        self._lease: Lease | None = None

    def step(self, now: datetime) -> None:
        lease = self._lease
        if lease is not None and now < lease.expires_at - timedelta(seconds=2 * self.ttl / 3):
            return
        try:
            self._lease = (self.store.renew_lease(lease, self.ttl, now) if lease else
                           self.store.acquire_lease(PRESENCE + self.who.id, self.who.id,
                                                    self.who.owner, self.ttl, now))
        except DrctlError as exc:  # lost or unreadable: acquire again next time
            log.error("presence_not_renewed", controller=self.who.id, error=str(exc))
            self._lease = None

    def release(self) -> None:
        if self._lease is not None:
            try:
                self.store.release_lease(self._lease)
            except DrctlError as exc:
                log.error("presence_release_failed", controller=self.who.id, error=str(exc))
            self._lease = None
