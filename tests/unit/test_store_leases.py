"""The lease half of the store contract (drctl/core/lease.py), against every backend."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from drctl.core.errors import InvalidInput
from drctl.core.identity import Owner
from drctl.core.lease import Lease, LeaseHeld, LeaseLost
from drctl.core.store import Store
from tests.unit.helpers import T0

ALICE = Owner("alice", "host-a", 11, "boot:1")
BOB = Owner("bob", "host-b", 22, "boot:2")
TTL = 30.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def take(store: Store, holder: str = "run-a", owner: Owner = ALICE, now: float = 0,
         name: str = "run:fo-1") -> Lease:
    return store.acquire_lease(name, holder, owner, TTL, at(now))


def test_a_free_lease_is_taken_for_ttl_and_read_back(store: Store) -> None:
    assert store.lease("run:fo-1") is None
    lease = take(store)
    assert (lease.holder, lease.owner, lease.version) == ("run-a", ALICE, 1)
    assert (lease.acquired_at, lease.expires_at) == (at(0), at(TTL))
    assert store.lease("run:fo-1") == lease


def test_a_live_lease_refuses_another_holder_naming_it(store: Store) -> None:
    lease = take(store)
    with pytest.raises(LeaseHeld) as refused:
        take(store, "run-b", BOB, now=TTL - 1)
    assert refused.value.lease == lease and refused.value.exit_code == 4
    assert "run-a by alice on host-a (pid 11)" in str(refused.value)
    assert store.lease("run:fo-1") == lease


def test_an_expired_lease_is_taken_over_and_its_old_holder_loses_it(store: Store) -> None:
    old = take(store)
    new = take(store, "run-b", BOB, now=TTL)  # expires_at is exclusive: expired at TTL
    assert (new.holder, new.version, new.acquired_at) == ("run-b", 2, at(TTL))
    with pytest.raises(LeaseLost, match="run-b"):
        store.renew_lease(old, TTL, at(TTL + 1))
    assert store.release_lease(old) is False
    assert store.lease("run:fo-1") == new


def test_renewing_extends_the_lease_and_bumps_its_version(store: Store) -> None:
    lease = take(store)
    renewed = store.renew_lease(lease, TTL, at(10))
    assert (renewed.version, renewed.expires_at, renewed.acquired_at) == (2, at(10 + TTL), at(0))
    with pytest.raises(LeaseHeld):
        take(store, "run-b", BOB, now=TTL + 5)  # would have expired without the renewal
    with pytest.raises(LeaseLost):
        store.renew_lease(lease, TTL, at(11))  # a stale copy (version 1) is not the lease


def test_an_expired_lease_nobody_took_is_renewed(store: Store) -> None:
    lease = take(store)
    renewed = store.renew_lease(lease, TTL, at(TTL * 3))
    assert renewed.expires_at == at(TTL * 4)


def test_the_holder_acquiring_again_renews_and_keeps_its_start(store: Store) -> None:
    take(store)
    again = take(store, now=5)
    assert (again.version, again.acquired_at, again.expires_at) == (2, at(0), at(5 + TTL))


def test_only_the_holder_releases_and_then_the_lease_is_free(store: Store) -> None:
    lease = take(store)
    forged = Lease(lease.name, "run-b", BOB, lease.acquired_at, lease.expires_at, lease.version)
    assert store.release_lease(forged) is False
    assert store.release_lease(lease) is True
    assert store.lease("run:fo-1") is None
    assert store.release_lease(lease) is False
    with pytest.raises(LeaseLost, match="released"):
        store.renew_lease(lease, TTL, at(1))
    assert take(store, "run-b", BOB, now=1).holder == "run-b"


def test_leases_are_independent_by_name(store: Store) -> None:
    take(store, name="run:fo-1")
    take(store, "controller-2", BOB, name="controller:leader")
    assert store.lease("run:fo-1").holder == "run-a"  # type: ignore[union-attr]
    assert store.lease("controller:leader").holder == "controller-2"  # type: ignore[union-attr]


def test_a_ttl_must_be_positive(store: Store) -> None:
    with pytest.raises(InvalidInput, match="ttl"):
        store.acquire_lease("run:fo-1", "run-a", ALICE, 0, at(0))
    lease = take(store)
    with pytest.raises(InvalidInput, match="ttl"):
        store.renew_lease(lease, -1, at(1))


@pytest.mark.parametrize("expired_first", [False, True])
def test_concurrent_lease_acquirers_exactly_one_wins(store: Store, expired_first: bool) -> None:
    name = "controller:leader"
    if expired_first:
        take(store, "crashed", ALICE, now=-TTL * 2, name=name)
    barrier = threading.Barrier(6)
    winners: list[str] = []

    def contend(i: int) -> None:
        barrier.wait()
        try:
            store.acquire_lease(name, f"contender-{i}", BOB, TTL, at(0))
            winners.append(f"contender-{i}")
        except LeaseHeld:
            pass

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(winners) == 1
    assert store.lease(name).holder == winners[0]  # type: ignore[union-attr]


def test_a_holder_known_dead_is_replaced_only_as_observed(store: Store) -> None:
    dead = take(store)
    renewed = store.renew_lease(dead, TTL, at(1))
    with pytest.raises(LeaseHeld):  # a stale observation is no licence
        store.acquire_lease("run:fo-1", "run-b", BOB, TTL, at(2), replace=dead)
    taken = store.acquire_lease("run:fo-1", "run-b", BOB, TTL, at(2), replace=renewed)
    assert (taken.holder, taken.version) == ("run-b", renewed.version + 1)
    with pytest.raises(LeaseHeld):  # of two replacing the same observation, one wins
        store.acquire_lease("run:fo-1", "run-c", ALICE, TTL, at(2), replace=renewed)
