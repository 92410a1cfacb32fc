"""The Run: what a failover, drill, runbook or chaos experiment is, folded from its journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from drctl.core.clock import iso
from drctl.core.errors import Blocked
from drctl.core.events import Event, check_version
from drctl.core.figures import Figures, read_figures
from drctl.core.identity import Identity, Owner
from drctl.core.lease import Lease

OWNER_KEYS = ("user", "host", "pid", "start_token")


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ABORTED = "aborted"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ABORTED)


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class StepRecord:
    name: str
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    ended_at: datetime | None = None
    attempts: int = 0
    output: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    already_done: bool = False  # verify() found it done: nothing was applied
    # What the step established, journaled whether it then succeeded or not (`step_facts`):
    # what a kind recomputes its figures from (a drill's state). Not in to_dict: its
    # figures are, in the run's measurement.
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds(), 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "duration_seconds": self.duration_seconds,
            "attempts": self.attempts,
            "output": self.output,
            "error": self.error,
            "already_done": self.already_done,
        }


@dataclass
class Run:
    run_id: str
    kind: str
    status: RunStatus
    started_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    owner: dict[str, Any] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    ended_at: datetime | None = None
    # `run_measured` as journaled (shown by to_dict) and, read back, the kind's typed figures:
    # what every reader of the run's figures uses.
    measurement: dict[str, Any] = field(default_factory=dict)
    figures: Figures | None = None
    error: str | None = None
    recovery: dict[str, Any] = field(default_factory=dict)  # what changed, how to get out
    # Every change made to the estate, in order, as journaled: step, at, action, target,
    # region, before, after, status (`started`: the call may or may not have been made, the
    # process died; `applied`). Kept across resumes and crashes.
    changes: list[dict[str, Any]] = field(default_factory=list)
    # When the last `run_resumed` was journaled: a step started again after it is timed from
    # that attempt, not from one a crash or Ctrl-C cut short before the gap.
    resumed_at: datetime | None = None
    # Is its process alive? Decided when loaded (`judge_liveness`), never when serialised:
    # True/False known (its pid on this host, or its lease), None when nothing can tell.
    live: bool | None = None
    live_by: str = ""           # "pid" | "lease" | "" (unknown)
    lease: Lease | None = None

    def step(self, name: str) -> StepRecord:
        for record in self.steps:
            if record.name == name:
                return record
        record = StepRecord(name)
        self.steps.append(record)
        return record

    def facts(self) -> dict[str, Any]:
        """Outputs of every succeeded step, merged in order: what later steps build on."""
        merged: dict[str, Any] = {}
        for record in self.steps:
            if record.status is StepStatus.SUCCEEDED:
                merged.update(record.output)
        return merged

    @property
    def unfinished(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.WAITING)

    def ensure_not_live(self, force: bool, override: str | None = None) -> None:
        """Refuse (Blocked) to take over a run whose process may still be working on it.

        Known alive (its pid on this host, or a lease it still renews): refused, `force` or
        not. Unknown (another host, a journal without a lease): only the operator who knows
        that host is gone can say so, with `force` — `override` is the command that says it
        (the hint names it; default: "pass --force").
        """
        if not self.unfinished or self.live is False:
            return
        where = f"pid {self.owner.get('pid')} on {self.owner.get('host')}"
        if self.live is None and force:
            return
        if self.live_by == "pid":
            hint = "stop that process first"
        elif self.live_by == "lease" and self.lease is not None:
            hint = (f"its process renews the run's lease (until {iso(self.lease.expires_at)}); "
                    "if that host is gone, the run shows interrupted once the lease expires")
        else:
            hint = ("drctl cannot see another host's processes: if that host or process is "
                    f"gone, {f'`{override}`' if override else 'pass --force'}")
        raise Blocked(f"run {self.run_id} is {self.status} in {where}", hint=hint)

    @property
    def effective_status(self) -> RunStatus:
        """A running/waiting run whose process is known dead is `interrupted`, never silently
        forgotten (see `judge_liveness`)."""
        if self.unfinished and self.live is False:
            return RunStatus.INTERRUPTED
        return self.status

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape. Pure: liveness was judged when the run was loaded
        (`judge_liveness`); serialising asks no process and no store."""
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "kind": self.kind,
            "status": str(self.effective_status),
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            # The playbook's content is journaled for a resume's comparison, not shown.
            "params": {k: v for k, v in self.params.items() if k != "playbook_text"},
            "owner": self.owner,
            "error": self.error,
        }
        if self.recovery:
            data["recovery"] = self.recovery
        data["changes"] = [dict(change) for change in self.changes]
        if self.unfinished and self.lease is not None:
            data["lease_expires_at"] = iso(self.lease.expires_at)
        for key in ("playbook", "target_region", "failed_region", "target", "trigger",
                    "detection"):
            if key in self.params:
                data[key] = self.params[key]
        data.update(self.measurement)
        data["steps"] = [record.to_dict() for record in self.steps]
        return data

    @classmethod
    def from_events(cls, events: list[Event]) -> Run:
        if not events or events[0].type != "run_started":
            raise ValueError("a journal starts with run_started")
        first = events[0]
        check_version(first)
        run = cls(
            run_id=first.run_id,
            kind=first.data["kind"],
            status=RunStatus.RUNNING,
            started_at=first.at,
            params=dict(first.data.get("params", {})),
            owner={k: first.data.get(k) for k in OWNER_KEYS},
        )
        for event in events[1:]:
            _apply(run, event)
        return run


def _apply(run: Run, event: Event) -> None:
    data = event.data
    if event.type == "step_started" and event.step:
        record = run.step(event.step)
        record.status = StepStatus.RUNNING
        record.started_at = _attempt_start(run, record, event)
        record.ended_at = None
        record.attempts += 1
        run.status = RunStatus.RUNNING
    elif event.type == "step_succeeded" and event.step:
        record = run.step(event.step)
        record.status = StepStatus.SUCCEEDED
        record.ended_at = event.at
        record.output = dict(data.get("output", {}))
        record.error = None
        record.already_done = bool(data.get("skipped_apply"))
    elif event.type == "step_failed" and event.step:
        record = run.step(event.step)
        record.status = StepStatus.FAILED
        record.ended_at = event.at
        record.error = data.get("error")
    elif event.type == "step_facts" and event.step:
        run.step(event.step).facts.update(data.get("facts", {}))
    elif event.type == "run_waiting":
        run.status = RunStatus.WAITING
    elif event.type == "run_resumed":
        run.status = RunStatus.RUNNING
        run.error = None
        run.recovery = {}
        run.owner = {k: data.get(k) for k in OWNER_KEYS}
        run.resumed_at = event.at
    elif event.type == "run_interrupted":
        run.status = RunStatus.INTERRUPTED
        run.error = data.get("reason")
    elif event.type == "run_recovery":
        run.recovery = dict(data)
    elif event.type in ("change_started", "change_applied"):
        _record_change(run, event)
    elif event.type == "run_measured":
        run.measurement = dict(data.get("measurement", {}))
        run.figures = read_figures(run.kind, run.measurement)
    elif event.type == "run_finished":
        run.status = RunStatus(data["status"])
        run.ended_at = event.at
        run.error = data.get("error")
        if run.status is RunStatus.SUCCEEDED:
            run.recovery = {}  # journaled while it changed things, in case it stopped
        _end_steps_left_running(run, event)



def _end_steps_left_running(run: Run, event: Event) -> None:
    """A run that ended (aborted after an interruption, say) has no step still running: the
    one it stopped in failed there. An interrupted run keeps it `running` -- a resume reads
    that as "started, outcome unknown" and verifies before it applies again."""
    for record in run.steps:
        if record.status is StepStatus.RUNNING:
            record.status, record.ended_at = StepStatus.FAILED, event.at
            record.error = record.error or f"the run ended {run.status.value} while it ran"


def _attempt_start(run: Run, record: StepRecord, event: Event) -> datetime:
    """A step's start: its first attempt's (retries in one process are part of the step),
    unless it started before a resume -- the time the run stood stopped is not the step's
    (`StepPolicy.spans_resumes` keeps the first start for a step that is the whole run)."""
    first = record.started_at
    if first is None:
        return event.at
    before_resume = run.resumed_at is not None and first < run.resumed_at
    return event.at if before_resume and not event.data.get("spans_resumes") else first


def _record_change(run: Run, event: Event) -> None:
    entry = {"step": event.step, "at": iso(event.at), **event.data,
             "status": "applied" if event.type == "change_applied" else "started"}
    same = ("step", "action", "target", "region", "before", "after")
    for change in reversed(run.changes):
        if change["status"] == "started" and all(change[k] == entry[k] for k in same):
            change.update(entry)  # its outcome, at its time
            return
    run.changes.append(entry)


def judge_liveness(run: Run, identity: Identity, lease: Lease | None, now: datetime) -> Run:
    """Decide `run.live`: on this host its pid (and start token) decide at once; elsewhere
    its lease does (renewed while the process lives, expired `ttl` after it died); with
    neither, nobody can tell (None). `lease` is the run's own lease, if any."""
    if not run.unfinished:
        return run
    run.lease = lease
    alive = identity.owner_alive(Owner.from_dict(run.owner))
    if alive is not None:
        run.live, run.live_by = alive, "pid"
    elif run.lease is not None:
        run.live, run.live_by = not run.lease.expired(now), "lease"
    return run


def run_lease_name(run_id: str) -> str:
    return f"run:{run_id}"
