"""Leases: a name held by one holder until a time, renewed while the holder lives.

A lease is how one process tells every other, on any host, that it is alive: a failover's run
renews `run:<id>` while it runs (so another host sees a run whose host died as `interrupted`
once the lease expires), a controller renews its leader lease. Times come from the holder's
injected clock; an expired lease is taken over by the next acquirer, never silently ignored.

The store contract (drctl/core/store.py) keeps leases with compare-and-swap on `version`:

- `acquire_lease(name, holder, owner, ttl, now, replace=None)`: free, expired, already this
  holder's, or exactly `replace` (a holder the caller knows is dead: its pid on this host is
  gone) -> the lease, `version` one more than the record it replaced; held by another holder
  and not expired -> `LeaseHeld`. Of concurrent acquirers exactly one wins.
- `renew_lease(lease, ttl, now)`: only while the stored record is still exactly `lease` (same
  holder and version; an expired lease nobody took is renewed) -> the renewed lease, else
  `LeaseLost` (taken over, or released).
- `release_lease(lease)`: deletes it only while it is still exactly `lease`; True if it did.
- `lease(name)`: the current record, expired or not, or None.

`next_lease` and `renewed_lease` are the decisions every backend makes; backends only add the
atomic read-compare-write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drctl.core.clock import iso, parse_iso
from drctl.core.errors import Blocked, DrctlError, InvalidInput
from drctl.core.identity import Owner


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    owner: Owner
    acquired_at: datetime
    expires_at: datetime
    version: int

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def describe(self) -> str:
        return (f"{self.holder} by {self.owner.describe()}, until {iso(self.expires_at)}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "holder": self.holder, "owner": self.owner.to_dict(),
                "acquired_at": iso(self.acquired_at), "expires_at": iso(self.expires_at),
                "version": self.version}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lease:
        return cls(data["name"], data["holder"], Owner.from_dict(data["owner"]),
                   parse_iso(data["acquired_at"]), parse_iso(data["expires_at"]),
                   int(data["version"]))


class LeaseHeld(Blocked):
    """Another holder's lease has not expired."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(f"{lease.name} is held by {lease.describe()}")
        self.lease = lease


class LeaseLost(DrctlError):
    """A renewal or release found the lease taken over or gone: the holder must stop acting
    as its owner."""


def next_lease(current: Lease | None, name: str, holder: str, owner: Owner, ttl: float,
               now: datetime, replace: Lease | None = None) -> Lease:
    """What `acquire_lease` writes over `current`. LeaseHeld when another holder's lease lives
    (and is not the `replace` the caller observed dead)."""
    if ttl <= 0:
        raise InvalidInput(f"lease {name}: ttl must be positive, not {ttl}")
    if (current is not None and current.holder != holder and not current.expired(now)
            and not (replace is not None and same_lease(current, replace))):
        raise LeaseHeld(current)
    version = current.version + 1 if current is not None else 1
    kept = current is not None and current.holder == holder and not current.expired(now)
    acquired = current.acquired_at if kept and current is not None else now
    return Lease(name, holder, owner, acquired, now + timedelta(seconds=ttl), version)


def renewed_lease(current: Lease | None, lease: Lease, ttl: float, now: datetime) -> Lease:
    """What `renew_lease` writes over `current`. LeaseLost unless `current` is `lease`."""
    if ttl <= 0:
        raise InvalidInput(f"lease {lease.name}: ttl must be positive, not {ttl}")
    if current is None or (current.holder, current.version) != (lease.holder, lease.version):
        taken = f"now held by {current.describe()}" if current else "released"
        raise LeaseLost(f"lease {lease.name} of {lease.holder} was lost: {taken}")
    return Lease(lease.name, lease.holder, lease.owner, lease.acquired_at,
                 now + timedelta(seconds=ttl), lease.version + 1)


def same_lease(current: Lease | None, lease: Lease) -> bool:
    return current is not None and (current.holder, current.version) == (lease.holder,
                                                                         lease.version)
