"""Acquiring and renewing a lease, for every store: each backend only swaps the record.

The rules (free, expired, already ours; renew only what is still exactly ours) are
`drctl/core/lease.py`'s; a backend supplies `_swap_lease(name, decide)`, which reads the
current record, calls `decide` on it and writes what it returns atomically (a transaction, a
conditional put retried on conflict, a lock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drctl.core.identity import Owner
from drctl.core.lease import Lease, next_lease, renewed_lease


class LeaseSwap:
    def _swap_lease(self, name: str, decide: Callable[[Lease | None], Lease]) -> Lease:
        raise NotImplementedError

    def acquire_lease(self, name: str, holder: str, owner: Owner, ttl: float, now: datetime,
                      replace: Lease | None = None) -> Lease:
        return self._swap_lease(
            name, lambda current: next_lease(current, name, holder, owner, ttl, now, replace))

    def renew_lease(self, lease: Lease, ttl: float, now: datetime) -> Lease:
        return self._swap_lease(lease.name,
                                lambda current: renewed_lease(current, lease, ttl, now))
