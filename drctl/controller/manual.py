"""What an operator does to a schedule by hand: run it now, pause it, resume it. Each is
journaled with who did it (a run of kind `schedule` for a pause or resume)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drctl.controller.execute import (
    EngineOptions,
    Runner,
    RunResult,
    TriggeredEngine,
    journal_verdict,
    trigger_of,
)
from drctl.controller.state import LastRun, Pause, ScheduleState
from drctl.controller.tick import Fire, Job, window_refusal
from drctl.core.clock import iso
from drctl.core.engine import Engine, Subscriber
from drctl.core.errors import InvalidInput
from drctl.core.run import RunStatus
from drctl.store.base import Store

KIND = "schedule"


def find_job(jobs: list[Job], name: str, listing: str = "drctl schedule list") -> Job:
    """The schedule `name` (or `playbook/name`). InvalidInput naming the known ones, with the
    `listing` command that shows them as a hint."""
    matches = [j for j in jobs if name in (j.schedule.name, j.key)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(j.key for j in jobs) or "none"
    if not matches:
        raise InvalidInput(f"no schedule {name!r} (schedules: {known})",
                           hint=f"see `{listing}`")
    raise InvalidInput(f"schedule name {name!r} is in several playbooks: say which, as "
                       f"PLAYBOOK/NAME ({', '.join(j.key for j in matches)})")


def run_now(job: Job, runner: Runner, state: ScheduleState, engine: Engine,
            subscribers: list[Subscriber]) -> RunResult:
    """Run the schedule's action now, outside its timing, with the same guards (its windows,
    then the run's own pre-flight). The run's trigger says it was started by hand; it is the
    schedule's last run in `schedule list`."""
    now = engine.clock.now()   # the fire time its trigger names, as `schedule list` shows it
    result = _run_now(job, runner, state.store, engine, subscribers, now, state.paused(job.key))
    state.record(job.key, LastRun(result.run_id, iso(now) or "", result.result,
                                  iso(engine.clock.now()) or "", result.detail))
    return result


def _run_now(job: Job, runner: Runner, store: Store, engine: Engine,
             subscribers: list[Subscriber], now: datetime, paused: Pause | None) -> RunResult:
    fire = Fire(job, now, now)
    trigger = {**trigger_of(fire), "manual": True, "by": engine.identity.user}
    triggered = TriggeredEngine(store, engine.clock, trigger, subscribers,
                                EngineOptions(engine.interrupt, engine.identity))
    # A pause is a person saying "not now" (a release week): a run by hand respects it too.
    refusal = paused.describe() if paused else window_refusal(job.schedule, now)
    if refusal is not None:
        return RunResult(journal_verdict(triggered, job, "skipped", refusal), "skipped",
                         refusal)
    return runner(fire, triggered)


def pause(state: ScheduleState, engine: Engine, job: Job, reason: str, now: datetime
          ) -> tuple[Pause, str, Pause | None]:
    """Pause (again): the pause it replaces, if any, is returned and journaled with it."""
    previous = state.paused(job.key)
    record = state.pause(job.key, reason, engine.identity.owner, now)
    was = {"was": previous.__dict__} if previous else {}
    return record, _journal(engine, job, "pause", {"reason": record.reason, **was}), previous


def resume(state: ScheduleState, engine: Engine, job: Job, now: datetime
           ) -> tuple[Pause | None, str | None]:
    previous = state.resume(job.key, now)
    if previous is None:
        return None, None
    return previous, _journal(engine, job, "resume", {"was": previous.__dict__})


def _journal(engine: Engine, job: Job, action: str, details: dict[str, Any]) -> str:
    me = engine.identity
    run_id = engine.start(KIND, {"action": action, "schedule": job.key, "playbook": job.playbook,
                                 "by": me.user, "host": me.host, **details})
    with engine.running(run_id):  # an end that cannot be written leaves the lease to expire
        engine.emit(run_id, "run_finished", status=str(RunStatus.SUCCEEDED))
    return run_id
