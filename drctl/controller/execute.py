"""Executing claimed fires: each on a worker thread, through the same code (and so the same
guards) as a manual run, journaled with `trigger: {schedule, fire_time}`.

A refusal (window, busy playbook, a pre-flight that says no) and a fire missed beyond its grace
are journaled runs too -- verdict `skipped` or `missed`, with the reason -- not log lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from drctl.controller.state import FireTakenOver, LastRun, ScheduleState, claim_fire
from drctl.controller.tick import Fire, Job, Missed
from drctl.core.clock import Clock, iso
from drctl.core.engine import Engine, Subscriber, new_run_id
from drctl.core.events import Event
from drctl.core.figures import FireVerdict
from drctl.core.identity import Identity
from drctl.core.interrupt import Interruption
from drctl.core.run import RunStatus
from drctl.store.base import LockHolder, Store

log = structlog.get_logger("drctl.controller")


@dataclass(frozen=True)
class RunResult:
    run_id: str | None
    result: str           # the verdict: passed, failed, deviated, aborted, skipped …
    detail: str = ""


# What runs a fire of one kind: the engine stamps the trigger on the run it starts.
Runner = Callable[[Fire, Engine], RunResult]


@dataclass(frozen=True)
class EngineOptions:
    """The host's port (a controller shutdown stops its runs through it) and identity."""

    interrupt: Interruption | None = None
    identity: Identity | None = None


@dataclass
class FireClaims:
    """The claims of one fire (its own first, then its coalesced fires'), to settle on the run
    that handles them just before that run is journaled."""

    state: ScheduleState
    holders: tuple[LockHolder, ...]
    on_settled: Callable[[], None] = lambda: None
    lost: list[str] = field(default_factory=list)   # coalesced fire times taken over meanwhile

    def settle(self, run_id: str, now: datetime) -> None:
        """FireTakenOver when the fire's own claim was taken over: do not journal this run; the
        exception's `left` are the older fires' claims, still this controller's to journal."""
        first, *older = self.holders
        try:
            self.state.settle(first, run_id, now)
        except FireTakenOver as exc:
            raise FireTakenOver(str(exc), left=tuple(older)) from None
        for holder in older:
            try:
                self.state.settle(holder, run_id, now)
            except FireTakenOver:
                self.lost.append(holder.name.rpartition("@")[2])


class TriggeredEngine(Engine):
    """The engine of a scheduled run: every run it starts carries the fire that caused it. The
    first one settles the fire's claims (drctl/controller/state.py) before it is journaled."""

    def __init__(self, store: Store, clock: Clock, trigger: dict[str, Any],
                 subscribers: Sequence[Subscriber] = (),
                 options: EngineOptions = EngineOptions(),
                 claims: FireClaims | None = None) -> None:
        super().__init__(store, clock, subscribers, interrupt=options.interrupt,
                         identity=options.identity)
        self.trigger = trigger
        self.claims = claims
        self.run_ids: list[str] = []

    def start(self, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or new_run_id(kind, self.clock)
        settled = self.claims
        if settled is not None:
            self.claims = None
            settled.settle(run_id, self.clock.now())
            self.trigger = {**self.trigger, "coalesced": [
                t for t in self.trigger.get("coalesced", []) if t not in settled.lost]}
        run_id = super().start(kind, {**params, "trigger": self.trigger}, run_id)
        self.run_ids.append(run_id)
        if settled is not None:  # only now: until its run is journaled, the cursor waits
            settled.on_settled()
        return run_id


def _oldest(fire: Fire) -> datetime:
    """The fire's oldest nominal time (its own or a coalesced one's): until it is journaled,
    a saved cursor stays before it, so a controller that takes over looks at all of them."""
    return min((fire.fire_time, *fire.coalesced))


def trigger_of(fire: Fire) -> dict[str, Any]:
    return {"schedule": fire.job.schedule.name, "playbook": fire.job.playbook,
            "fire_time": iso(fire.fire_time), "due_at": iso(fire.due_at),
            "coalesced": [iso(t) for t in fire.coalesced]}


def scheduled_params(job: Job) -> dict[str, Any]:
    schedule = job.schedule
    what: dict[str, Any] = {"chaos": schedule.chaos, "runbook": schedule.runbook}
    if schedule.drill is not None:
        what = {"target": schedule.drill.target, "drill_kind": schedule.drill.kind}
    return {"playbook": job.playbook, "schedule": schedule.name, **what}


def journal_verdict(engine: Engine, job: Job, verdict: str, reason: str,
                    status: RunStatus = RunStatus.ABORTED) -> str:
    """A run that did not run: started, judged and finished at once, with the reason."""
    run_id = engine.start(job.schedule.kind, scheduled_params(job))
    with engine.running(run_id):  # a verdict that cannot be written still ends the run
        engine.measured(run_id, FireVerdict(verdict, reason))
        engine.emit(run_id, "run_finished", status=str(status), error=reason)
    return run_id


class LogEvents:
    """An engine subscriber: each journal event as a JSON log line bound to run and schedule."""

    def __init__(self, schedule: str) -> None:
        self.schedule = schedule

    def __call__(self, event: Event) -> None:
        fields = {k: v for k, v in event.data.items() if k in ("status", "error", "message")}
        log.info(event.type, run_id=event.run_id, schedule=self.schedule, step=event.step,
                 **fields)


class RunExecutor:
    """Runs fires on worker threads; remembers which playbooks have a disruptive run going."""

    def __init__(self, store: Store, clock: Clock, state: ScheduleState,
                 runners: dict[str, Runner], workers: int = 4,
                 engine_options: EngineOptions = EngineOptions(),
                 subscribers: Sequence[Subscriber] = ()) -> None:
        self.store, self.clock, self.state = store, clock, state
        self.engine_options = engine_options
        self.subscribers = list(subscribers)   # besides the log: metrics
        self.runners = runners
        self._closed = False
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="drctl-run")
        # Failovers (opened or resumed) get threads of their own: one never waits for a
        # worker behind scheduled drills.
        self._failovers = ThreadPoolExecutor(2, thread_name_prefix="drctl-failover")
        self._lock = threading.Lock()
        self._running: dict[str, str] = {}   # job key -> what runs
        self._busy: dict[str, str] = {}      # playbook -> disruptive job key
        self._unsettled: dict[str, list[datetime]] = {}  # job key -> fires not yet journaled
        self.futures: list[Future[None]] = []

    def busy(self) -> dict[str, str]:
        with self._lock:
            return {pb: f"scheduled {key} running" for pb, key in self._busy.items()}

    def in_progress(self) -> dict[str, str]:
        with self._lock:
            return dict(self._running)

    def unsettled(self) -> dict[str, datetime]:
        with self._lock:
            return {key: min(times) for key, times in self._unsettled.items() if times}

    def start(self, fire: Fire) -> None:
        with self._lock:
            self._running[fire.job.key] = iso(fire.fire_time) or ""
            self._unsettled.setdefault(fire.job.key, []).append(_oldest(fire))
            if fire.job.schedule.disruptive:
                self._busy[fire.job.playbook] = fire.job.key
        self.futures.append(self._pool.submit(self._run_unless_closed, fire))

    def submit(self, work: Callable[[], None]) -> None:
        """A failover the watch opens (or a new leader resumes), on a thread of its own."""
        if not self._closed:
            self.futures.append(self._failovers.submit(work))

    def skip(self, fire: Fire) -> None:
        self._journal_later(fire, "skipped", fire.skip_reason or "")

    def missed(self, missed: Missed) -> None:
        # The fire's own claim first, as FireClaims settles them (`claims` is oldest first).
        fire = Fire(missed.job, missed.last, missed.last, missed.fires[:-1],
                    claims=(*missed.claims[-1:], *missed.claims[:-1]))
        reason = (f"{missed.count} fire(s) from {iso(missed.first)} to {iso(missed.last)} "
                  f"found later than the misfire grace ({missed.job.schedule.misfire_grace:g}s)")
        log.warning("fires_missed", schedule=missed.job.key, count=missed.count)
        self._journal_later(fire, "missed", reason)

    def _journal_later(self, fire: Fire, verdict: str, reason: str) -> None:
        """A refusal is a run too, journaled on a worker thread: its writes (and what its
        subscribers publish) must not hold up the tick that renews the leader lease."""
        with self._lock:
            self._unsettled.setdefault(fire.job.key, []).append(_oldest(fire))

        def journal() -> None:
            try:
                self._verdict(fire, verdict, reason)
            finally:
                self._settled(fire)

        self.futures.append(self._pool.submit(journal))

    def _verdict(self, fire: Fire, verdict: str, reason: str) -> str | None:
        try:
            run_id = journal_verdict(self._engine(fire), fire.job, verdict, reason)
        except FireTakenOver as exc:
            self._taken_elsewhere(fire, exc, FireVerdict(verdict, reason))
            return None
        self._record(fire, RunResult(run_id, verdict, reason))
        return run_id

    def _taken_elsewhere(self, fire: Fire, exc: FireTakenOver,
                         verdict: FireVerdict | None = None) -> None:
        """Another controller took the fire over: it runs it, this one does not. The older
        fires coalesced into it whose claims are still this controller's are journaled here
        (with the fire's own `verdict`, else `skipped`) -- left pending on a live controller,
        nobody would ever journal them."""
        log.info("fire_taken_over_elsewhere", schedule=fire.job.key, detail=str(exc))
        if not exc.left:
            return
        left = sorted(exc.left, key=lambda held: claim_fire(held.name)[1])  # oldest first
        times = [claim_fire(held.name)[1] for held in left]
        rest = Fire(fire.job, times[-1], fire.job.due_at(times[-1]), tuple(times[:-1]),
                    claims=(left[-1], *left[:-1]))
        verdict = verdict or FireVerdict("skipped", f"coalesced into the fire at "
                                                    f"{iso(fire.fire_time)}, which another "
                                                    f"controller took over")
        self._verdict(rest, verdict.verdict, verdict.verdict_reason)

    def shutdown(self, wait: bool = True) -> None:
        """No new runs; with `wait`, return when the runs in progress have ended."""
        self._closed = True
        self._pool.shutdown(wait=wait)  # a queued fire still ends as a journaled refusal
        self._failovers.shutdown(wait=wait)

    def _run_unless_closed(self, fire: Fire) -> None:
        if not self._closed:
            self._run(fire)
            return
        with self._lock:  # claimed but not started: say so rather than lose it
            self._running.pop(fire.job.key, None)
            self._busy.pop(fire.job.playbook, None)
        try:
            self._verdict(fire, "skipped", "the controller was stopping before the run could "
                                           "start")
        finally:
            self._settled(fire)

    def _run(self, fire: Fire) -> RunResult | None:
        engine = self._engine(fire)
        bound = structlog.contextvars.bound_contextvars(schedule=fire.job.key)
        try:
            with bound:
                result = self.runners[fire.job.schedule.kind](fire, engine)
        except FireTakenOver as exc:  # another controller runs it: nothing to record here
            self._taken_elsewhere(fire, exc)
            return None
        except Exception as exc:  # a runner bug must not take the controller down
            log.exception("scheduled_run_crashed", schedule=fire.job.key)
            result = RunResult(engine.run_ids[-1] if engine.run_ids else None, "failed",
                               f"{type(exc).__name__}: {exc}")
        finally:
            self._settled(fire)
            with self._lock:
                self._running.pop(fire.job.key, None)
                if self._busy.get(fire.job.playbook) == fire.job.key:
                    del self._busy[fire.job.playbook]
        self._record(fire, result)
        return result

    def _settled(self, fire: Fire) -> None:
        """The fire's run is journaled (or never will be by this controller)."""
        with self._lock:
            times = self._unsettled.get(fire.job.key, [])
            if _oldest(fire) in times:
                times.remove(_oldest(fire))
            if not times:
                self._unsettled.pop(fire.job.key, None)

    def _engine(self, fire: Fire) -> TriggeredEngine:
        claims = FireClaims(self.state, fire.claims, lambda: self._settled(fire)) \
            if fire.claims else None
        return TriggeredEngine(self.store, self.clock, trigger_of(fire),
                               [LogEvents(fire.job.key), *self.subscribers], self.engine_options,
                               claims)

    def _record(self, fire: Fire, result: RunResult) -> None:
        log.info("scheduled_run_ended", schedule=fire.job.key, run_id=result.run_id,
                 result=result.result, detail=result.detail)
        self.state.record(fire.job.key, LastRun(result.run_id, iso(fire.fire_time) or "",
                                                result.result, iso(self.clock.now()) or "",
                                                result.detail))
