"""The leader lease (drctl/controller/leader.py): renewed on a thread of its own, so a tick
that takes longer than the TTL does not let another controller take over while this one still
acts; and fenced, so a leader whose renewals fail stops acting before anyone else can lead."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from drctl.cli.logs import configure_logging
from drctl.controller.daemon import Daemon, Parts, Status
from drctl.controller.leader import Leadership
from drctl.controller.scheduler import TickReport
from drctl.core.clock import FakeClock, SystemClock
from drctl.core.errors import DrctlError
from drctl.core.lease import LeaseHeld
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.test_controller_scheduler import ME, OTHER

LEASE = "controller-leader:pb"


class Flaky:
    """The store, until `down` is set: then renewals fail as an unreachable store's do."""

    def __init__(self, store: MemoryStore) -> None:
        self.store, self.down = store, False

    def __getattr__(self, name: str) -> Any:
        if name == "renew_lease" and self.down:
            def unreachable(*_: Any, **__: Any) -> Any:
                raise DrctlError("could not reach the store")
            return unreachable
        return getattr(self.store, name)


class SlowTicks:
    """A scheduler whose tick takes `seconds` (a slow store, many schedules)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.ticks = seconds, 0
        self.ticking = threading.Event()

    def run_tick(self) -> TickReport:
        self.ticks += 1
        self.ticking.set()
        time.sleep(self.seconds)
        now = datetime.now(UTC)
        return TickReport(now, [], [], [], 0, now + timedelta(seconds=30))

    def forget(self) -> None:
        return

    def flush(self) -> None:
        return


class NoRuns:
    def shutdown(self, wait: bool = True) -> None:
        return

    def in_progress(self) -> dict[str, str]:
        return {}


def daemon(store: Any, clock: Any, scheduler: Any, ttl: float) -> Daemon:
    leadership = Leadership(store, LEASE, ME, ttl)
    return Daemon(Parts(scheduler, NoRuns(), clock, Status(clock.now()),  # type: ignore[arg-type]
                        leadership=leadership))


def test_a_tick_longer_than_the_ttl_keeps_the_lease() -> None:
    store, slow, ttl = MemoryStore(), SlowTicks(2.0), 0.8
    leader = daemon(store, SystemClock(), slow, ttl)
    loop = threading.Thread(target=leader.run)
    loop.start()
    try:
        assert slow.ticking.wait(10)
        other = Leadership(store, LEASE, OTHER, ttl)
        deadline = time.monotonic() + slow.seconds
        while time.monotonic() < deadline:   # all through the long tick, 2.5 TTLs
            assert not other.step(datetime.now(UTC))
            time.sleep(0.05)
        lease = store.lease(LEASE)
        assert lease is not None and lease.holder == ME.id
    finally:
        leader.request_stop("test")
        loop.join(timeout=30)
    assert store.lease(LEASE) is None   # released on the way out


def test_a_leader_whose_renewals_fail_stops_acting_before_another_can_lead() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    flaky = Flaky(store)
    leader = Leadership(flaky, LEASE, ME, 4)  # type: ignore[arg-type]
    assert leader.step(clock.now()) and leader.acts(clock.now())
    flaky.down = True
    other = Leadership(store, LEASE, OTHER, 4)
    for _ in range(16):                       # renewals fail, four seconds long
        clock.advance(0.25)
        leader.step(clock.now())
        if leader.acts(clock.now()):
            with pytest.raises(LeaseHeld):
                store.acquire_lease(LEASE, OTHER.id, OTHER.owner, 4, clock.now())
    assert not leader.acts(clock.now())
    assert clock.now() - T0 >= timedelta(seconds=4) and other.step(clock.now())


def test_a_fenced_leader_does_not_tick_its_schedules() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    flaky, slow = Flaky(store), SlowTicks(0)
    leader = daemon(flaky, clock, slow, 4)
    leader.renewer.beat()                     # type: ignore[union-attr]
    leader.tick_once()
    assert slow.ticks == 1
    flaky.down = True
    clock.advance(3)                          # a quarter of the TTL left: fenced
    leader.renewer.beat()                     # type: ignore[union-attr]
    leader.tick_once()
    assert slow.ticks == 1


def test_a_lost_lease_stops_the_leader_at_once() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    leader = Leadership(store, LEASE, ME, 4)
    assert leader.step(clock.now())
    lease = store.lease(LEASE)
    assert lease is not None
    clock.advance(5)                          # it expired; another one took it
    assert Leadership(store, LEASE, OTHER, 4).step(clock.now())
    leader.step(clock.now())
    assert not leader.leading and not leader.acts(clock.now())


def test_a_controller_that_does_not_lead_says_who_does_once() -> None:
    """A follower (or `controller --once` while another leads) ran nothing and said nothing:
    exit 0 with no word of why no schedule fired."""
    store, clock = MemoryStore(), FakeClock(T0)
    assert Leadership(store, LEASE, OTHER, 4).step(clock.now())
    follower = daemon(store, clock, SlowTicks(0), 4)
    configure_logging(1, json_lines=True)       # as the controller logs: info and up
    with capture_logs() as logs:
        follower.renewer.beat()               # type: ignore[union-attr]
        follower.tick_once()
        clock.advance(1)
        follower.tick_once()
    following = [e for e in logs if e["event"] == "following"]
    assert [e["leader_id"] for e in following] == [OTHER.id]
