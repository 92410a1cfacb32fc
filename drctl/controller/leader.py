"""The leader lease: of several controllers sharing a store (one per region, on a DynamoDB
global table), exactly one acts; the others renew nothing and wait to take over.

Built on the store's lease API (drctl/core/lease.py): acquire when free or expired, renew every
third of the TTL, and a renewal that finds the lease taken means this controller stops leading
at once. Fires are claimed one by one as well, so two controllers that both believe they lead
for a moment still never run a fire twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from drctl.controller.state import PRESENCE, Claimant
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
        self._lease: Lease | None = None     # ours, while we lead
        self._seen: Lease | None = None      # the current holder's, as last read

    @property
    def renew_every(self) -> timedelta:
        return timedelta(seconds=self.ttl / 3)

    @property
    def leading(self) -> bool:
        return self._lease is not None

    def step(self, now: datetime) -> bool:
        """Renew (leader) or try to take the lease (follower). True while this one leads."""
        try:
            if self._lease is not None:
                self._lease = self.store.renew_lease(self._lease, self.ttl, now)
            else:
                self._lease = self.store.acquire_lease(self.name, self.who.id, self.who.owner,
                                                       self.ttl, now)
                log.warning("leader_elected", lease=self.name, leader_id=self.who.id)
            self._seen = self._lease
        except LeaseLost as exc:
            log.error("leadership_lost", lease=self.name, error=str(exc))
            self._lease = None
        except LeaseHeld as exc:
            self._seen = exc.lease
        except DrctlError as exc:  # the store is unreachable: a leader that cannot renew stops
            log.error("lease_unreadable", lease=self.name, error=str(exc))
            if self._lease is not None and self._lease.expired(now):
                self._lease = None
        return self._lease is not None

    def release(self) -> None:
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



class Presence:
    """This controller's own lease, renewed as it ticks, leader or not: how a controller
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
