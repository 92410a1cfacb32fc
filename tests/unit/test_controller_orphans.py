"""A controller killed between claiming a fire and journaling its run (issue 11's HA gap): the
next controller takes the claim over and runs the fire (or journals it `missed` beyond the
grace), and should the first one still be alive, only one of the two journals it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from drctl.controller.execute import RunExecutor
from drctl.controller.leader import Presence
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import PENDING, ScheduleState
from drctl.controller.tick import Fire, Job, Missed
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.run import Run
from drctl.store.base import list_runs
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.test_controller_scheduler import ME, OTHER, Ran, controller, settle
from tests.unit.test_controller_tick import job

TEN = [job(every="10s")]


class Killed:
    """An executor whose process died right after the claims: nothing it was handed ran."""

    def __init__(self) -> None:
        self.handed: list[Fire] = []

    def busy(self) -> dict[str, str]:
        return {}

    def start(self, fire: Fire) -> None:
        self.handed.append(fire)

    def skip(self, fire: Fire) -> None:
        self.handed.append(fire)

    def missed(self, missed: Missed) -> None:
        return

    def unsettled(self) -> dict[str, datetime]:  # as RunExecutor: the oldest fire of each
        return {f.job.key: min((f.fire_time, *f.coalesced)) for f in self.handed}


def killed_after_claiming(store: MemoryStore, clock: FakeClock, jobs: list[Job]) -> Killed:
    """The first controller ticks at T0, claims the fire at T0+10 s, and dies."""
    dead = Killed()
    first = Scheduler(jobs, ScheduleState(store), dead, clock, ME)
    first.run_tick()
    clock.advance(10)
    first.run_tick()
    first.flush()
    assert [f.fire_time for f in dead.handed] == [T0 + timedelta(seconds=10)]
    return dead


def handled(runs: list[Run]) -> list[str]:
    """Every nominal fire a journaled run stands for (its own and those it coalesced)."""
    return sorted(t for r in runs for t in [r.params["trigger"]["fire_time"],
                                            *r.params["trigger"]["coalesced"]])


def test_a_fire_claimed_by_a_dead_controller_is_taken_over_and_run() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    killed_after_claiming(store, clock, TEN)
    clock.advance(6)                      # the next leader, 2/3 of a lease TTL later
    second, executor = controller(store, clock, TEN, ran, OTHER)
    report = second.run_tick()
    settle(executor)
    assert [f.fire_time for f in report.started] == [T0 + timedelta(seconds=10)]
    assert handled(list_runs(store, "chaos")) == ["2026-01-01T12:00:10.000Z"]
    claim = store.lock("schedule-fire:pb/s@2026-01-01T12:00:10.000Z")
    assert claim is not None and claim.run_id == list_runs(store, "chaos")[0].run_id


def test_the_dead_controllers_cursor_was_not_saved_past_the_unjournaled_fire() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    killed_after_claiming(store, clock, TEN)
    cursor = ScheduleState(store).cursor("pb/s")
    assert cursor is not None and T0 <= cursor < T0 + timedelta(seconds=10)


def test_a_dead_controllers_fire_beyond_the_grace_is_journaled_missed() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    short = [job(every="10s", misfire_grace="3s")]
    killed_after_claiming(store, clock, short)
    clock.advance(6)
    second, executor = controller(store, clock, short, ran, OTHER)
    report = second.run_tick()
    settle(executor)
    assert report.started == [] and [m.last for m in report.missed] == [
        T0 + timedelta(seconds=10)]
    (run,) = list_runs(store, "chaos")
    assert run.measurement["verdict"] == "missed" and ran.fires == []


def test_coalesced_fires_of_a_dead_controller_are_taken_over_too() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    killed_after_claiming(store, clock, TEN)
    clock.advance(10)                     # now the fire at 20 s is due as well
    second, executor = controller(store, clock, TEN, ran, OTHER)
    (fire,) = second.run_tick().started
    settle(executor)
    assert fire.fire_time == T0 + timedelta(seconds=20)
    assert handled(list_runs(store, "chaos")) == ["2026-01-01T12:00:10.000Z",
                                                  "2026-01-01T12:00:20.000Z"]


def test_a_live_controllers_claim_is_left_to_it_and_taken_over_once_it_is_gone() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    presence = Presence(store, ME, 4)
    presence.step(clock.now())
    killed_after_claiming(store, clock, TEN)   # its claim of 10 s, presence renewed at 0 s
    presence.step(clock.now())                 # ... and at 10 s: alive until 14 s
    clock.advance(2)
    second, executor = controller(store, clock, TEN, ran, OTHER)
    report = second.run_tick()
    assert report.started == [] and report.lost_claims == 1   # left to it, and watched
    clock.advance(3)                           # 15 s: its presence lapsed; it never journaled
    (fire,) = second.run_tick().started
    settle(executor)
    assert fire.fire_time == T0 + timedelta(seconds=10)
    assert handled(list_runs(store, "chaos")) == ["2026-01-01T12:00:10.000Z"]


class Held:
    """A runner held at its start until released (a slow pre-flight on a live controller)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.inner = Ran()

    def __call__(self, fire: Fire, engine: Engine) -> object:
        self.release.wait(10)
        return self.inner(fire, engine)


def test_if_the_first_controller_was_alive_after_all_only_one_journals_the_fire() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    slow, ran = Held(), Ran()
    state = ScheduleState(store)
    first = Scheduler(TEN, state, RunExecutor(store, clock, state, {"chaos": slow}, 1), clock,
                      ME)
    first.run_tick()
    clock.advance(10)
    first.run_tick()                      # claimed; its run waits in the runner
    clock.advance(6)
    second, executor = controller(store, clock, TEN, ran, OTHER)
    assert len(second.run_tick().started) == 1
    settle(executor)
    slow.release.set()                    # the first one now settles: taken over, it stops
    settle(first.executor)  # type: ignore[arg-type]
    assert handled(list_runs(store, "chaos")) == ["2026-01-01T12:00:10.000Z"]
    last = state.last("pb/s")
    assert last is not None and last.run_id == list_runs(store, "chaos")[0].run_id


def settled_then_killed(store: MemoryStore, clock: FakeClock) -> None:
    """A controller settled the claim of the fire at 10 s on its run, and died before
    journaling that run."""
    state = ScheduleState(store)
    state.save_cursor("pb/s", T0)
    clock.advance(10)
    claim = state.claim("pb/s", T0 + timedelta(seconds=10), ME, clock.now())
    assert claim is not None and claim.run_id == PENDING + ME.id
    state.settle(claim, "ch-20260101T120010-dead00", clock.now())


def test_a_claim_settled_on_a_run_that_never_appeared_is_taken_over() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    settled_then_killed(store, clock)
    clock.advance(6)
    second, executor = controller(store, clock, TEN, ran, OTHER)
    assert len(second.run_tick().started) == 1
    settle(executor)
    assert handled(list_runs(store, "chaos")) == ["2026-01-01T12:00:10.000Z"]


def test_a_claim_settled_a_moment_ago_is_trusted_its_run_is_being_journaled() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    settled_then_killed(store, clock)
    clock.advance(2)
    second, _ = controller(store, clock, TEN, ran, OTHER)
    report = second.run_tick()
    assert report.started == [] and report.lost_claims == 1


def test_an_older_unjournaled_fire_is_run_though_the_newer_one_was_journaled() -> None:
    """Runs are journaled out of order: the dead controller's drill of 10 s was still in its
    pre-flight when its refusal of 20 s was journaled."""
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    state = ScheduleState(store)
    state.save_cursor("pb/s", T0)
    clock.advance(10)
    assert state.claim("pb/s", T0 + timedelta(seconds=10), ME, clock.now()) is not None
    clock.advance(10)
    later = state.claim("pb/s", T0 + timedelta(seconds=20), ME, clock.now())
    assert later is not None
    refusal = Engine(store, clock).start("chaos", {"trigger": {
        "fire_time": "2026-01-01T12:00:20.000Z", "coalesced": []}})
    state.settle(later, refusal, clock.now())
    clock.advance(6)                                  # then it died
    second, executor = controller(store, clock, TEN, ran, OTHER)
    (fire,) = second.run_tick().started
    settle(executor)
    assert fire.fire_time == T0 + timedelta(seconds=10) and fire.coalesced == ()
    assert handled(list_runs(store, "chaos")) == ["2026-01-01T12:00:10.000Z",
                                                  "2026-01-01T12:00:20.000Z"]
