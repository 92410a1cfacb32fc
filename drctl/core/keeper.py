"""Keeping a lease alive from a background thread while its holder works.

`LeaseKeeper.start()` takes the lease, then renews it every third of its TTL; `stop()` ends
the renewals and releases it. If the process dies, renewals stop and the lease expires: that
is how another host learns the holder is gone. A renewal that finds the lease taken over
(`LeaseLost`) stops renewing and calls `on_lost`, so the holder stops acting as its owner; a
renewal that fails for another reason (the store briefly unreachable) is logged and retried
at the next tick, while the lease may still be valid.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from drctl.core.clock import Clock
from drctl.core.identity import Owner
from drctl.core.lease import Lease, LeaseLost
from drctl.core.store import Store

log = structlog.get_logger("drctl.lease")


class LeaseKeeper:
    def __init__(self, store: Store, clock: Clock, name: str, holder: str, owner: Owner,
                 ttl: float, on_lost: Callable[[LeaseLost], None] | None = None) -> None:
        self._store, self._clock, self._ttl = store, clock, ttl
        self._args = (name, holder, owner)
        self._on_lost = on_lost
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.lease: Lease | None = None
        self.lost: LeaseLost | None = None

    def start(self, replace: Lease | None = None) -> Lease:
        """Take the lease (LeaseHeld if another holder's lives, unless it is `replace`) and
        start renewing it."""
        name, holder, owner = self._args
        self.lease = self._store.acquire_lease(name, holder, owner, self._ttl, self._clock.now(),
                                               replace)
        self._thread = threading.Thread(target=self._renew_until_stopped, daemon=True,
                                        name=f"lease {name}")
        self._thread.start()
        return self.lease

    def stop(self, release: bool = True) -> None:
        """Stop renewing; release the lease unless it was lost (or `release` is False)."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._ttl)
        if release and self.lease is not None and self.lost is None:
            try:
                self._store.release_lease(self.lease)
            except Exception:  # it expires by itself; a failed release must not fail a run
                log.warning("lease_release_failed", lease=self.lease.name, exc_info=True)

    def _renew_until_stopped(self) -> None:
        while not self._stopped.wait(self._ttl / 3):
            assert self.lease is not None
            try:
                self.lease = self._store.renew_lease(self.lease, self._ttl, self._clock.now())
            except LeaseLost as exc:
                self.lost = exc
                log.error("lease_lost", lease=self.lease.name, error=str(exc))
                if self._on_lost is not None:
                    self._on_lost(exc)
                return
            except Exception:  # a store hiccup: the lease may still be valid; try again
                log.warning("lease_renewal_failed", lease=self.lease.name, exc_info=True)
