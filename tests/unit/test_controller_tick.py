"""The scheduler's heart (drctl/controller/tick.py) on an injected clock: cron and interval,
jitter, windows, misfire within and beyond the grace, coalescing, pause, one disruptive run per
playbook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from drctl.controller.tick import Job, JobState, tick, upcoming_fire
from drctl.playbook.schedules import Schedule

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # a multiple of 5s since the epoch (a Thursday)


def job(name: str = "s", playbook: str = "pb", **fields: Any) -> Job:
    data: dict[str, Any] = {"name": name, "chaos": "x.json", **fields}
    if "cron" not in data and "every" not in data:
        data["every"] = "5s"
    if "drill" in data or "runbook" in data:
        data.pop("chaos")
    return Job.of(playbook, Schedule.model_validate(data))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_new_schedule_starts_from_now_and_wakes_at_its_first_fire() -> None:
    plan = tick(at(2), [job()], {})
    assert plan.fires == [] and plan.missed == []
    assert plan.cursors == {"pb/s": at(2)}
    assert plan.next_wakeup == at(5)


def test_interval_fires_are_aligned_to_the_unix_epoch() -> None:
    every7 = job(every="7s")
    plan = tick(at(60), [every7], {"pb/s": JobState(at(50))})
    (fire,) = plan.fires
    assert fire.fire_time.timestamp() % 7 == 0 and at(50) < fire.fire_time <= at(60)
    assert plan.cursors["pb/s"] == fire.fire_time


def test_cron_fires_in_its_time_zone() -> None:
    nightly = job(cron="0 3 * * *", timezone="Europe/Berlin")
    before = JobState(datetime(2026, 1, 2, 1, 59, tzinfo=UTC))
    assert tick(datetime(2026, 1, 2, 1, 59, 59, tzinfo=UTC), [nightly],
                {"pb/s": before}).fires == []
    plan = tick(datetime(2026, 1, 2, 2, 0, 1, tzinfo=UTC), [nightly], {"pb/s": before})
    assert [f.fire_time for f in plan.fires] == [datetime(2026, 1, 2, 2, 0, tzinfo=UTC)]


def test_jitter_delays_a_fire_by_the_same_amount_on_every_controller() -> None:
    jittery = job(every="1h", jitter="10m")
    fire_time = datetime(2026, 1, 1, 13, 0, tzinfo=UTC)
    delay = jittery.due_at(fire_time) - fire_time
    assert timedelta(0) <= delay < timedelta(minutes=10)
    assert job(every="1h", jitter="10m").due_at(fire_time) == fire_time + delay
    state = {"pb/s": JobState(T0)}
    early = tick(fire_time + delay - timedelta(seconds=1), [jittery], state)
    assert early.fires == [] and early.next_wakeup == fire_time + delay
    (fire,) = tick(fire_time + delay, [jittery], state).fires
    assert fire.fire_time == fire_time and fire.due_at == fire_time + delay


def test_fires_missed_within_the_grace_coalesce_into_one_run() -> None:
    plan = tick(at(17), [job(misfire_grace="1m")], {"pb/s": JobState(T0)})
    (fire,) = plan.fires
    assert fire.fire_time == at(15)
    assert fire.coalesced == (at(5), at(10))
    assert plan.missed == [] and plan.cursors["pb/s"] == at(15)


def test_fires_beyond_the_grace_are_missed_and_the_newest_in_time_still_runs() -> None:
    plan = tick(at(100), [job(misfire_grace="12s")], {"pb/s": JobState(T0)})
    (missed,) = plan.missed
    assert (missed.first, missed.last, missed.count) == (at(5), at(85), 17)
    (fire,) = plan.fires
    assert fire.fire_time == at(100) and fire.coalesced == (at(90), at(95))


def test_all_fires_beyond_the_grace_are_missed_and_none_runs() -> None:
    daily = job(cron="0 3 * * *", misfire_grace="10m")
    plan = tick(datetime(2026, 1, 4, 4, 0, tzinfo=UTC), [daily],
                {"pb/s": JobState(datetime(2026, 1, 1, 4, 0, tzinfo=UTC))})
    assert plan.fires == []
    assert [(m.first.day, m.last.day, m.count) for m in plan.missed] == [(2, 4, 3)]


def test_a_handled_fire_is_not_offered_again() -> None:
    state = {"pb/s": JobState(at(5))}
    assert tick(at(6), [job()], state).fires == []


def test_a_paused_schedule_neither_runs_nor_advances() -> None:
    plan = tick(at(100), [job()], {"pb/s": JobState(T0, paused=True)})
    assert plan.fires == [] and plan.missed == [] and plan.cursors == {}
    assert upcoming_fire(job(), JobState(T0, paused=True), at(100)) is None


def test_a_blocked_window_refuses_the_fire_with_the_reason() -> None:
    friday = job(blocked_windows=[{"days": ["thu"], "start": "11:00", "end": "13:00",
                                   "reason": "release"}])
    (fire,) = tick(at(5), [friday], {"pb/s": JobState(T0)}).fires
    assert fire.skip_reason == "inside blocked window thu 11:00-13:00 UTC (release)"


def test_outside_the_allowed_windows_the_fire_is_refused() -> None:
    office = job(windows=[{"days": ["mon"], "start": "09:00", "end": "17:00"}])
    (fire,) = tick(at(5), [office], {"pb/s": JobState(T0)}).fires
    assert fire.skip_reason is not None and "outside the allowed windows" in fire.skip_reason
    inside = job(windows=[{"days": ["thu"], "start": "09:00", "end": "17:00"}])
    assert tick(at(5), [inside], {"pb/s": JobState(T0)}).fires[0].skip_reason is None


def test_one_disruptive_run_per_playbook() -> None:
    chaos, drill = job("a"), job("b", drill={"target": "dynamodb:t"})
    other_playbook = job("c", playbook="other")
    state = {j.key: JobState(T0) for j in (chaos, drill, other_playbook)}
    fires = tick(at(5), [chaos, drill, other_playbook], state).fires
    reasons = {f.job.key: f.skip_reason for f in fires}
    assert reasons["pb/a"] is None and reasons["other/c"] is None
    assert reasons["pb/b"] is not None and "already has a disruptive run" in reasons["pb/b"]
    busy = tick(at(5), [chaos], {"pb/a": JobState(T0)}, busy={"pb": "run ch-1"}).fires[0]
    assert busy.skip_reason == "playbook pb already has a disruptive run in progress (run ch-1)"


def test_a_runbook_does_not_take_the_disruptive_slot() -> None:
    runbook = job("r", runbook="runbooks/x.md")
    fire = tick(at(5), [runbook], {"pb/r": JobState(T0)}, busy={"pb": "run ch-1"}).fires[0]
    assert fire.skip_reason is None


def test_the_next_wakeup_is_the_earliest_due_fire() -> None:
    fast, slow = job("fast", every="3s"), job("slow", every="1m")
    state = {"pb/fast": JobState(T0), "pb/slow": JobState(T0)}
    assert tick(at(1), [fast, slow], state).next_wakeup == at(3)
