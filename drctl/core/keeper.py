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
from contextlib import suppress

import structlog

from drctl.core.clock import Clock, iso
from drctl.core.errors import Blocked
from drctl.core.identity import Identity, Owner
from drctl.core.lease import Lease, LeaseHeld, LeaseLost
from drctl.core.run import run_lease_name
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
                _log_quietly("lease_lost", lease=self.lease.name, error=str(exc))
                if self._on_lost is not None:
                    self._on_lost(exc)
                return
            except Exception as exc:  # a store hiccup: the lease may still be valid; retry
                _log_quietly("lease_renewal_failed", lease=self.lease.name, error=repr(exc))


def _log_quietly(event: str, **data: str) -> None:
    # A background thread: a log stream closed under it (process exit) must not kill it loudly.
    with suppress(Exception):
        log.warning(event, **data)


class RunLeases:
    """The leases of the runs one engine is working on (`run:<id>`), by run id.

    `hold` takes one (a holder known dead, its pid on this host gone, is taken over at once;
    any other live one refuses: Blocked); `let_go` stops renewing it and releases it, or
    leaves it to expire when the run's end could not be journaled (so other hosts see the run
    interrupted rather than running for ever); `lost` says whether another process took it.
    """

    def __init__(self, store: Store, clock: Clock, identity: Identity, ttl: float) -> None:
        self._store, self._clock, self._identity, self.ttl = store, clock, identity, ttl
        self._keepers: dict[str, LeaseKeeper] = {}
        self._lock = threading.Lock()

    def hold(self, run_id: str) -> None:
        me = self._identity
        keeper = LeaseKeeper(self._store, self._clock, run_lease_name(run_id), me.process_key,
                             me.owner, self.ttl)
        try:
            keeper.start()
        except LeaseHeld as held:
            if me.owner_alive(held.lease.owner) is not False:
                raise Blocked(f"run {run_id} is still owned by {held.lease.owner.describe()}: "
                              f"it renews the run's lease (until "
                              f"{iso(held.lease.expires_at)})",
                              hint="stop that process, or wait: if its host is gone the run "
                                   "shows interrupted once the lease expires") from None
            keeper.start(replace=held.lease)
        with self._lock:
            self._keepers[run_id] = keeper

    def holding(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._keepers

    def let_go(self, run_id: str, release: bool = True) -> None:
        with self._lock:
            keeper = self._keepers.pop(run_id, None)
        if keeper is not None:
            keeper.stop(release)

    def abandon(self) -> None:
        """Stop renewing every lease, releasing none: as if this process died, so others
        see its unfinished runs interrupted once the leases expire."""
        with self._lock:
            keepers, self._keepers = list(self._keepers.values()), {}
        for keeper in keepers:
            keeper.stop(release=False)

    def lost(self, run_id: str) -> LeaseLost | None:
        with self._lock:
            keeper = self._keepers.get(run_id)
        return keeper.lost if keeper is not None else None
