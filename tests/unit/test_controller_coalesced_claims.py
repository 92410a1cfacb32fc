"""The claims of coalesced fires when the newest fire's claim is lost (issue 11): a controller
that finds the fire it was running taken over by another controller still holds the claims of
the older fires it coalesced into it. They must end journaled -- never left `pending:` on a
controller that goes on living (no other controller would take them over), nor behind a cursor
saved past them (no other controller would look at them again)."""

from __future__ import annotations

from datetime import timedelta

from drctl.controller.execute import RunExecutor
from drctl.controller.leader import Presence
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import PENDING, ScheduleState
from drctl.controller.tick import Missed
from drctl.core.clock import FakeClock, iso
from drctl.core.engine import Engine
from drctl.store.base import list_runs
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.test_controller_orphans import TEN, Held, Killed, handled
from tests.unit.test_controller_scheduler import ME, OTHER, Ran, controller, settle


def at(seconds: int) -> str:
    return iso(T0 + timedelta(seconds=seconds)) or ""


def coalescing(store: MemoryStore, clock: FakeClock) -> tuple[Scheduler, Held]:
    """The first controller, back at 30 s after its cursor at 0 s: the fire at 30 s, with 10 s
    and 20 s coalesced into it, claimed; its run held in the runner."""
    slow = Held()
    state = ScheduleState(store)
    state.save_cursor("pb/s", T0)
    first = Scheduler(TEN, state, RunExecutor(store, clock, state, {"chaos": slow}, 1), clock,
                      ME)
    clock.advance(30)
    (fire,) = first.run_tick().started
    assert fire.fire_time == T0 + timedelta(seconds=30)
    assert fire.coalesced == (T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))
    return first, slow


def test_older_claims_are_journaled_when_the_newest_fire_is_taken_over() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    first, slow = coalescing(store, clock)
    clock.advance(2)
    other = ScheduleState(store)     # another controller takes over the newest claim alone
    newest = other.claim_or_take_over("pb/s", T0 + timedelta(seconds=30), OTHER, clock.now())
    assert newest is not None
    engine = Engine(store, clock)
    run_id = engine.start("chaos", {"trigger": {"fire_time": at(30), "coalesced": []}})
    other.settle(newest, run_id, clock.now())
    slow.release.set()               # the first one settles now: the newest is not its own
    settle(first.executor)  # type: ignore[arg-type]
    for seconds in (10, 20):
        claim = store.lock(f"schedule-fire:pb/s@{at(seconds)}")
        assert claim is not None and not claim.run_id.startswith(PENDING), claim
        assert claim.run_id in {r.run_id for r in list_runs(store, "chaos")}
    assert handled(list_runs(store, "chaos")) == [at(10), at(20), at(30)]
    (older,) = [r for r in list_runs(store, "chaos") if r.run_id != run_id]
    assert older.measurement is not None and older.measurement["verdict"] == "skipped"
    assert at(30) in older.measurement["verdict_reason"]


def test_the_cursor_is_saved_before_the_oldest_coalesced_fire_until_it_is_journaled() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    first, slow = coalescing(store, clock)
    first.flush()                    # then the first controller dies, its run never journaled
    cursor = ScheduleState(store).cursor("pb/s")
    assert cursor is not None and cursor < T0 + timedelta(seconds=10)
    clock.advance(6)
    second, executor = controller(store, clock, TEN, ran, OTHER)
    second.run_tick()
    settle(executor)
    assert handled(list_runs(store, "chaos")) == [at(10), at(20), at(30)]
    slow.release.set()
    settle(first.executor)  # type: ignore[arg-type]
    assert handled(list_runs(store, "chaos")) == [at(10), at(20), at(30)]


def test_missed_fires_are_journaled_missed_though_the_newest_ones_claim_was_taken_over() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    state = ScheduleState(store)
    executor = RunExecutor(store, clock, state, {}, 1)
    clock.advance(600)
    claims = tuple(c for s in (10, 20) if (c := state.claim(
        "pb/s", T0 + timedelta(seconds=s), ME, clock.now())) is not None)
    assert len(claims) == 2
    clock.advance(2)
    assert state.claim_or_take_over("pb/s", T0 + timedelta(seconds=20), OTHER,
                                    clock.now()) is not None
    executor.missed(Missed(TEN[0], (T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)),
                           claims))
    settle(executor)
    (run,) = list_runs(store, "chaos")
    assert run.params["trigger"]["fire_time"] == at(10)
    assert run.measurement is not None and run.measurement["verdict"] == "missed"
    claim = store.lock(f"schedule-fire:pb/s@{at(10)}")
    assert claim is not None and claim.run_id == run.run_id


def test_watched_claims_taken_over_together_are_coalesced_into_one_run() -> None:
    """A live controller's claims of 10 s, 20 s and 30 s (one coalesced fire) are watched by
    the next one; once that controller is gone they are taken over in one tick: run once, as
    the newest with the older ones coalesced -- not one run each."""
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    presence = Presence(store, ME, 4)
    presence.step(clock.now())
    state = ScheduleState(store)
    state.save_cursor("pb/s", T0)
    clock.advance(30)
    presence.step(clock.now())                    # alive until 34 s
    first = Scheduler(TEN, state, Killed(), clock, ME)
    (fire,) = first.run_tick().started            # claimed 30 s (10 s, 20 s coalesced); died
    assert fire.coalesced == (T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))
    clock.advance(2)
    second, executor = controller(store, clock, TEN, ran, OTHER)
    assert second.run_tick().started == []        # left to it while its presence lasts
    clock.advance(3)
    report = second.run_tick()
    settle(executor)
    assert [(f.fire_time, f.coalesced) for f in report.started] == [
        (T0 + timedelta(seconds=30), (T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)))]
    assert handled(list_runs(store, "chaos")) == [at(10), at(20), at(30)]
    assert len(list_runs(store, "chaos")) == 1
