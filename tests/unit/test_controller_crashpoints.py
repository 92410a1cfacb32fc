"""A leader SIGKILLed at every point of its life (issue 11's HA gap): before each of its store
writes in turn, the leader dies; the next leader takes over and every nominal fire is handled
exactly once -- run, coalesced into a run, refused, or journaled `missed` -- never twice,
never silently lost. The death is a store that stops answering the dead controller."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from drctl.controller.execute import RunExecutor
from drctl.controller.leader import Presence
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import ScheduleState
from drctl.controller.tick import Job
from drctl.core.clock import FakeClock, iso, parse_iso
from drctl.core.run import Run
from drctl.store.base import list_runs
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.test_controller_scheduler import ME, OTHER, Ran, controller
from tests.unit.test_controller_tick import job

WRITES = {"append", "acquire_lock", "acquire_free_locks", "release_lock", "put_setting",
          "put_settings", "put_summary", "acquire_lease", "renew_lease", "release_lease"}
TTL = 4.0
LIFE = 14  # seconds the first leader lives at most: four fires, a flush


class Killed(BaseException):
    """The process is gone: nothing it does reaches the store any more."""


class Mortal:
    """The store as one process sees it: it answers until the process's `budget` of writes is
    spent, then never again (a SIGKILL just before that write)."""

    def __init__(self, store: MemoryStore, budget: int) -> None:
        self.store, self.budget, self.dead = store, budget, False
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if not self.dead and name in WRITES:
                    self.dead, self.budget = self.budget <= 0, self.budget - 1
                if self.dead:
                    raise Killed(name)
            return attr(*args, **kwargs)

        return call


def live_until_killed(store: Mortal, clock: FakeClock, jobs: list[Job], seconds: int,
                      elected: bool = False) -> None:
    """The first leader ticks once a second (runs settled in between) until it is killed.
    `elected`: as the daemon does on winning the lease, it `forget`s before its first tick."""
    state = ScheduleState(store)  # type: ignore[arg-type]
    executor = RunExecutor(store, clock, state, {"chaos": Ran()}, workers=1)  # type: ignore[arg-type]
    scheduler = Scheduler(jobs, state, executor, clock, ME)
    presence = Presence(store, ME, TTL)  # type: ignore[arg-type]
    try:
        if elected:
            scheduler.forget()
        for _ in range(seconds):
            presence.step(clock.now())
            scheduler.run_tick()
            for future in list(executor.futures):
                if future.exception(timeout=120) is not None:
                    raise Killed("worker")
            clock.advance(1)
    except Killed:
        return
    finally:
        store.dead = True


def handled(runs: list[Run]) -> Counter[datetime]:
    """Every nominal fire a journaled run stands for: its own, and those it coalesced or
    journaled as missed with it."""
    fires: Counter[datetime] = Counter()
    for run in runs:
        trigger = run.params["trigger"]
        for stamp in [trigger["fire_time"], *trigger["coalesced"]]:
            fires[parse_iso(stamp)] += 1
    return fires


def assert_each_fire_once(store: MemoryStore, until: datetime, every: int) -> None:
    fires = handled(list_runs(store, "chaos", 1000))
    assert max(fires.values()) == 1, {iso(t): n for t, n in fires.items() if n > 1}
    first = min(fires)
    expected = {first + timedelta(seconds=every * i)
                for i in range(int((until - first).total_seconds()) // every + 1)}
    assert not expected - set(fires), sorted(iso(t) for t in expected - set(fires))


def budgets() -> range:
    """Every write of the first leader's life, killed before each one in turn."""
    probe, clock = Mortal(MemoryStore(), 10**9), FakeClock(T0)
    live_until_killed(probe, clock, [job(every="3s")], LIFE)
    return range(1, 10**9 - probe.budget)


@pytest.mark.parametrize(("grace", "down"), [("300s", TTL + 1), ("2s", TTL + 7)])
@pytest.mark.parametrize("budget", budgets())
@pytest.mark.parametrize("elected", [False, True])
def test_a_leader_killed_before_any_of_its_writes_leaves_no_gap_and_no_duplicate(
        budget: int, grace: str, down: float, elected: bool) -> None:
    threads = set(threading.enumerate())
    store, clock = MemoryStore(), FakeClock(T0)
    jobs = [job(every="3s", misfire_grace=grace)]
    live_until_killed(Mortal(store, budget), clock, jobs, LIFE, elected)
    clock.advance(down)                # its presence lapsed: the next one leads
    second, executor = controller(store, clock, jobs, Ran(), OTHER)
    if elected:
        second.forget()
    for _ in range(12):
        second.run_tick()
        for future in list(executor.futures):
            future.result(timeout=120)
        clock.advance(1)
    second.flush()
    assert_each_fire_once(store, clock.now() - timedelta(seconds=3), 3)
    # and no lease is left renewing (a thread that would raise into whatever runs next)
    assert not [t.name for t in set(threading.enumerate()) - threads
                if t.name.startswith("lease ")]
