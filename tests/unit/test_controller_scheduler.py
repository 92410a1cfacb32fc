"""The scheduler shell (drctl/controller/scheduler.py) and its executor on the in-memory store
and a fake clock: claims make a restart, or a second controller, never run a fire twice; a
skipped or missed fire is a journaled run with its trigger; a pause is honoured."""

from __future__ import annotations

import threading
from datetime import timedelta

from drctl.controller import manual
from drctl.controller.execute import RunExecutor, RunResult
from drctl.controller.scheduler import Scheduler
from drctl.controller.state import Claimant, ScheduleState
from drctl.controller.tick import Fire, Job
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.identity import Owner
from drctl.core.run import RunStatus
from drctl.store.base import list_runs
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.test_controller_tick import job

ME = Claimant(Owner("ops", "h1", 1), "c1")
OTHER = Claimant(Owner("ops", "h2", 2), "c2")


class Ran:
    """A runner that journals a trivial successful run and remembers each fire."""

    def __init__(self) -> None:
        self.fires: list[Fire] = []

    def __call__(self, fire: Fire, engine: Engine) -> RunResult:
        self.fires.append(fire)
        run_id = engine.start("chaos", {"experiment": "x"})
        with engine.running(run_id):  # as every runner: an end that cannot be written
            engine.emit(run_id, "run_finished", status="succeeded")  # lets the lease go
        return RunResult(run_id, "passed")


def controller(store: MemoryStore, clock: FakeClock, jobs: list[Job], ran: Ran,
               who: Claimant = ME) -> tuple[Scheduler, RunExecutor]:
    state = ScheduleState(store)
    executor = RunExecutor(store, clock, state, {"chaos": ran, "drill": ran}, workers=1)
    return Scheduler(jobs, state, executor, clock, who), executor


def settle(executor: RunExecutor) -> None:
    for future in executor.futures:
        future.result(timeout=10)


def test_a_fire_runs_once_and_is_journaled_with_its_nominal_fire_time() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    scheduler, executor = controller(store, clock, [job()], ran)
    scheduler.run_tick()                 # registers the schedule at T0
    clock.advance(5.3)
    report = scheduler.run_tick()
    settle(executor)
    assert [f.fire_time for f in report.started] == [T0 + timedelta(seconds=5)]
    (run,) = list_runs(store, "chaos")
    assert run.params["trigger"]["schedule"] == "s"
    assert run.params["trigger"]["fire_time"] == "2026-01-01T12:00:05.000Z"
    assert run.to_dict()["trigger"]["fire_time"] == "2026-01-01T12:00:05.000Z"
    last = ScheduleState(store).last("pb/s")
    assert last is not None and (last.run_id, last.result) == (run.run_id, "passed")


def test_a_restart_does_not_run_a_fire_again_even_if_the_cursor_was_not_saved() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    scheduler, executor = controller(store, clock, [job()], ran)
    scheduler.run_tick()
    clock.advance(5)
    scheduler.run_tick()
    settle(executor)
    # The controller died after claiming the fire but before moving the cursor.
    ScheduleState(store).save_cursor("pb/s", T0)
    restarted, executor2 = controller(store, clock, [job()], ran)
    report = restarted.run_tick()
    settle(executor2)
    assert report.started == [] and report.lost_claims == 1
    assert len(ran.fires) == 1 and len(list_runs(store, "chaos")) == 1


def test_after_a_restart_fires_missed_within_the_grace_run_once() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    scheduler, _ = controller(store, clock, [job(misfire_grace="1m")], ran)
    scheduler.run_tick()
    clock.advance(23)                    # down across four fires
    restarted, executor2 = controller(store, clock, [job(misfire_grace="1m")], ran)
    report = restarted.run_tick()
    settle(executor2)
    (fire,) = report.started
    assert fire.fire_time == T0 + timedelta(seconds=20) and len(fire.coalesced) == 3
    (run,) = list_runs(store, "chaos")
    assert len(run.params["trigger"]["coalesced"]) == 3


def test_fires_beyond_the_grace_are_journaled_as_missed() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    scheduler, executor = controller(store, clock, [job(every="1m", misfire_grace="10s")], ran)
    scheduler.run_tick()
    clock.advance(3 * 60 + 30)
    report = scheduler.run_tick()
    settle(executor)
    assert report.started == [] and report.missed[0].count == 3
    (run,) = list_runs(store, "chaos")
    assert run.status is RunStatus.ABORTED
    assert run.measurement["verdict"] == "missed"
    assert "3 fire(s) from 2026-01-01T12:01:00.000Z to 2026-01-01T12:03:00.000Z" in str(
        run.error)
    assert run.params["trigger"]["fire_time"] == "2026-01-01T12:03:00.000Z"
    last = ScheduleState(store).last("pb/s")
    assert last is not None and last.result == "missed"


def test_two_controllers_on_one_store_run_each_fire_once() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    ran_a, ran_b = Ran(), Ran()
    first, ex_a = controller(store, clock, [job()], ran_a, ME)
    second, ex_b = controller(store, clock, [job()], ran_b, OTHER)
    for _ in range(6):
        first.run_tick()
        second.run_tick()
        settle(ex_a)
        settle(ex_b)
        clock.advance(5)
    fired = sorted(f.fire_time for f in ran_a.fires + ran_b.fires)
    assert fired == [T0 + timedelta(seconds=5 * n) for n in range(1, 6)]
    assert len(list_runs(store, "chaos")) == 5


def test_a_refused_fire_is_a_journaled_skipped_run_with_the_reason() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    blocked = job(blocked_windows=[{"start": "11:00", "end": "13:00", "reason": "freeze"}])
    scheduler, executor = controller(store, clock, [blocked], ran)
    scheduler.run_tick()
    clock.advance(5)
    report = scheduler.run_tick()
    settle(executor)
    assert report.started == [] and len(report.skipped) == 1 and ran.fires == []
    (run,) = list_runs(store, "chaos")
    assert run.measurement == {"verdict": "skipped", "verdict_reason": run.error}
    assert "inside blocked window" in str(run.error) and "freeze" in str(run.error)
    assert run.params["trigger"]["schedule"] == "s"


def test_while_a_disruptive_run_is_in_progress_the_next_fire_is_skipped() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    scheduler, executor = controller(store, clock, [job("a"), job("b")], ran)
    scheduler.run_tick()
    executor._busy["pb"] = "pb/other"  # a run of this playbook still going
    clock.advance(5)
    report = scheduler.run_tick()
    assert report.started == [] and len(report.skipped) == 2
    assert all("already has a disruptive run" in (f.skip_reason or "") for f in report.skipped)


def test_a_paused_schedule_does_not_fire_and_resumes_from_the_resume_time() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    state = ScheduleState(store)
    scheduler, executor = controller(store, clock, [job()], ran)
    scheduler.run_tick()
    state.pause("pb/s", "release freeze", ME.owner, clock.now())
    clock.advance(60)
    assert scheduler.run_tick().started == []
    state.resume("pb/s", clock.now())
    assert scheduler.run_tick().started == []  # the paused fires are not caught up
    clock.advance(5)
    assert len(scheduler.run_tick().started) == 1
    settle(executor)
    assert len(ran.fires) == 1 and list_runs(store, "chaos")[0].measurement == {}


def test_fires_already_run_are_not_coalesced_again_after_a_takeover() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    first, ex_a = controller(store, clock, [job(misfire_grace="1m")], ran, ME)
    first.run_tick()
    first.flush()
    for _ in range(2):  # fires at 5 and 10 run on the first controller
        clock.advance(5)
        first.run_tick()
        settle(ex_a)
    ScheduleState(store).save_cursor("pb/s", T0)  # its cursor was not written yet: it died
    clock.advance(5)
    second, ex_b = controller(store, clock, [job(misfire_grace="1m")], ran, OTHER)
    (fire,) = second.run_tick().started
    settle(ex_b)
    assert fire.fire_time == T0 + timedelta(seconds=15) and fire.coalesced == ()
    assert len(ran.fires) == 3


def test_a_leader_killed_before_its_first_cursor_flush_leaves_no_silent_gap() -> None:
    """Issue 11's HA gap as the e2e run showed it (every 3 s: the fires at 3 and 6 run, the
    leader is SIGKILLed, the fire at 9 falls due while none leads). Elected, a leader `forget`s
    (flushing) before its first tick, so its cursor waited CURSOR_FLUSH for its first write:
    killed sooner, it left the store no cursor, and the next leader started from its own "now",
    past the fire at 9 -- neither run nor journaled missed."""
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    first, ex_a = controller(store, clock, [job(every="3s")], ran, ME)
    first.forget()                       # elected, as the daemon does
    first.run_tick()                     # registers the schedule at T0
    for _ in range(2):                   # fires at 3 and 6
        clock.advance(3)
        first.run_tick()
        settle(ex_a)
    clock.advance(5)                     # killed; the next leader takes over at 11
    second, ex_b = controller(store, clock, [job(every="3s")], ran, OTHER)
    second.forget()
    report = second.run_tick()
    settle(ex_b)
    assert [f.fire_time for f in report.started] == [T0 + timedelta(seconds=9)]
    assert report.started[0].coalesced == ()   # 3 and 6 are journaled already
    assert [f.fire_time - T0 for f in ran.fires] == [timedelta(seconds=s) for s in (3, 6, 9)]


def test_a_refusal_is_journaled_on_a_worker_not_on_the_tick_that_renews_the_lease() -> None:
    store, clock, ran = MemoryStore(), FakeClock(T0), Ran()
    entered, gate = threading.Event(), threading.Event()

    def slow_publisher(_event: object) -> None:
        entered.set()
        gate.wait(30)

    state = ScheduleState(store)
    blocked = job(blocked_windows=[{"start": "11:00", "end": "13:00", "reason": "freeze"}])
    executor = RunExecutor(store, clock, state, {"chaos": ran}, workers=1,
                           subscribers=[slow_publisher])
    scheduler = Scheduler([blocked], state, executor, clock, ME)
    scheduler.run_tick()
    clock.advance(5)
    assert len(scheduler.run_tick().skipped) == 1   # returned while the refusal is journaled
    assert entered.wait(10)
    (run,) = list_runs(store, "chaos")
    assert not run.status.finished
    gate.set()
    settle(executor)
    assert list_runs(store, "chaos")[0].status is RunStatus.ABORTED


def test_a_run_by_hand_is_the_schedules_last_run_at_the_fire_time_its_trigger_names() -> None:
    """`schedule list` showed a manual run as fired when it ended (a 20-minute drill: fired
    20 minutes late), not at the fire time its journaled trigger names."""
    store, clock = MemoryStore(), FakeClock(T0)
    state = ScheduleState(store)

    def slow(fire: Fire, engine: Engine) -> RunResult:
        result = Ran()(fire, engine)
        clock.advance(1200)
        return result

    result = manual.run_now(job(every="10s"), slow, state, Engine(store, clock), [])
    last = state.last("pb/s")
    (run,) = list_runs(store, "chaos")
    assert last is not None and last.run_id == result.run_id == run.run_id
    assert last.fire_time == run.params["trigger"]["fire_time"] == "2026-01-01T12:00:00.000Z"
    assert last.at == "2026-01-01T12:20:00.000Z"
