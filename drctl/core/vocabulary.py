"""The journal's event vocabulary, in one place: every event type, what its `data` carries.

An event is `Event(run_id, type, at, step, data)` (drctl/core/events.py); `type` is one of
`EventType`, and `data` is the payload its TypedDict below describes (keys marked NotRequired may
be absent). `run_*` types are lifecycle events: each refreshes the run's summary
(drctl/core/summary.py). `step_progress` is shown, never journaled. The journal's version is in
`run_started.version`; a journal newer than JOURNAL_VERSION is refused when read
(`JournalTooNew`, exit 2), an older one is read as it is.

    type               step?  data
    run_started        -      kind, params, version, user, host, pid, start_token?
    run_resumed        -      user, host, pid, start_token?
    run_waiting        yes?   reason ("approval" | "manual" | ...), executor?
    run_interrupted    -      reason
    run_recovery       -      changed, resume, roll_back, failed_step?, left?
    run_measured       -      measurement (the kind's typed figures, drctl/core/figures.py)
    run_finished       -      status, error?, aborted_by?, reason?
    step_started       yes    index, total, attempt, spans_resumes?
    step_progress      yes    message                                  (not journaled)
    step_succeeded     yes    output, skipped_apply
    step_failed        yes    error, error_type, changed?, checks?
    step_facts         yes    facts (what the step established, journaled even if it fails)
    change_started     yes    action, target, region, before, after   (about to be made)
    change_applied     yes    action, target, region, before, after   (AWS accepted it)
    approval_granted   yes?   by {user, host, aws?}, reason?
    approval_rejected  yes?   by {user, host, aws?}, reason?
    manual_acked       yes    by, via, note?
    runbook_subrun     yes    sub_run {run_id, kind, status, error, rto/rpo, verdict}
    runbook_call       yes    service, api, region, args, caller       (a mutating AWS call)
    runbook_retry      yes    attempt, error, delay
    runbook_continued  yes    next, on_failure                          (past a failed step)

Every event written goes through `checked_event` (the engine's `emit`, and the one writer outside
it, `drctl runbook ack`): an unknown type, or a known one lacking a required field, is a bug in
the writer and is refused before it reaches the journal (`BadEvent`, exit 1). Reading is lenient:
an event type from a newer drctl is kept, not judged.
"""

# No `from __future__ import annotations`: TypedDict reads NotRequired[...] at class creation.
from datetime import datetime
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from drctl.core.errors import DrctlError
from drctl.core.events import Event


class EventType(StrEnum):
    RUN_STARTED = "run_started"
    RUN_RESUMED = "run_resumed"
    RUN_WAITING = "run_waiting"
    RUN_INTERRUPTED = "run_interrupted"
    RUN_RECOVERY = "run_recovery"
    RUN_MEASURED = "run_measured"
    RUN_FINISHED = "run_finished"
    STEP_STARTED = "step_started"
    STEP_PROGRESS = "step_progress"
    STEP_SUCCEEDED = "step_succeeded"
    STEP_FAILED = "step_failed"
    STEP_FACTS = "step_facts"
    CHANGE_STARTED = "change_started"
    CHANGE_APPLIED = "change_applied"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_REJECTED = "approval_rejected"
    MANUAL_ACKED = "manual_acked"
    RUNBOOK_SUBRUN = "runbook_subrun"
    RUNBOOK_CALL = "runbook_call"
    RUNBOOK_RETRY = "runbook_retry"
    RUNBOOK_CONTINUED = "runbook_continued"


class RunStarted(TypedDict):
    kind: str
    params: dict[str, Any]
    version: NotRequired[int]  # absent in the oldest journals: version 1
    user: NotRequired[str]
    host: NotRequired[str]
    pid: NotRequired[int]
    start_token: NotRequired[str]


class RunResumed(TypedDict):
    user: str
    host: str
    pid: int
    start_token: NotRequired[str]


class RunWaiting(TypedDict):
    reason: str
    executor: NotRequired[dict[str, Any]]


class RunInterrupted(TypedDict):
    reason: str


class RunRecovery(TypedDict):
    changed: str
    resume: str
    roll_back: str
    failed_step: NotRequired[str]
    left: NotRequired[str]   # an abort: the estate it leaves behind


class RunMeasured(TypedDict):
    measurement: dict[str, Any]


class RunFinished(TypedDict):
    status: str
    error: NotRequired[str | None]
    aborted_by: NotRequired[str]
    reason: NotRequired[str]


class StepStarted(TypedDict):
    index: int
    total: int
    attempt: int
    spans_resumes: NotRequired[bool]


class StepProgress(TypedDict):
    message: str


class StepSucceeded(TypedDict):
    output: dict[str, Any]
    skipped_apply: bool


class StepFailed(TypedDict):
    error: str
    error_type: str
    changed: NotRequired[bool]
    checks: NotRequired[list[dict[str, Any]]]


class StepFacts(TypedDict):
    facts: dict[str, Any]


class ChangeApplied(TypedDict):
    """A change to the estate: `change_started` just before the call that makes it, and
    `change_applied` once AWS accepted it. A crash in between leaves it `started` (made or
    not: a resume finds out), and never unrecorded; a resumed step's output would not say it,
    since the step then finds it done."""

    action: str
    target: str
    region: str | None
    before: Any
    after: Any


class Decision(TypedDict):
    by: dict[str, Any]
    reason: NotRequired[str]


class ManualAcked(TypedDict):
    by: dict[str, Any]
    via: str
    note: NotRequired[str]


class RunbookSubrun(TypedDict):
    sub_run: dict[str, Any]


class RunbookCall(TypedDict):
    service: str
    api: str
    region: str | None
    args: dict[str, Any]
    caller: NotRequired[Any]


class RunbookRetry(TypedDict):
    attempt: int
    error: str
    delay: NotRequired[float]


class RunbookContinued(TypedDict):
    next: str | None
    on_failure: NotRequired[str]


PAYLOADS: dict[EventType, type] = {
    EventType.RUN_STARTED: RunStarted, EventType.RUN_RESUMED: RunResumed,
    EventType.RUN_WAITING: RunWaiting, EventType.RUN_INTERRUPTED: RunInterrupted,
    EventType.RUN_RECOVERY: RunRecovery, EventType.RUN_MEASURED: RunMeasured,
    EventType.RUN_FINISHED: RunFinished, EventType.STEP_STARTED: StepStarted,
    EventType.STEP_PROGRESS: StepProgress, EventType.STEP_SUCCEEDED: StepSucceeded,
    EventType.STEP_FAILED: StepFailed, EventType.STEP_FACTS: StepFacts,
    EventType.CHANGE_STARTED: ChangeApplied, EventType.CHANGE_APPLIED: ChangeApplied,
    EventType.APPROVAL_GRANTED: Decision,
    EventType.APPROVAL_REJECTED: Decision, EventType.MANUAL_ACKED: ManualAcked,
    EventType.RUNBOOK_SUBRUN: RunbookSubrun, EventType.RUNBOOK_CALL: RunbookCall,
    EventType.RUNBOOK_RETRY: RunbookRetry, EventType.RUNBOOK_CONTINUED: RunbookContinued,
}


class BadEvent(DrctlError):
    """drctl tried to journal an event its vocabulary does not allow: a bug in the writer,
    refused before anything reaches the journal."""


def missing_fields(type_: str, data: dict[str, Any]) -> list[str]:
    """The required payload keys `data` lacks for an event of `type_` (none for a type this
    drctl does not know: a newer drctl's event is kept, not judged)."""
    try:
        payload = PAYLOADS[EventType(type_)]
    except ValueError:
        return []
    required: frozenset[str] = getattr(payload, "__required_keys__", frozenset())
    return sorted(required - set(data))


def check_payload(type_: str, data: dict[str, Any]) -> None:
    """BadEvent when `type_` is not in the vocabulary, or lacks a required field. For writes
    only: what this drctl journals, it must know."""
    try:
        EventType(type_)
    except ValueError:
        raise BadEvent(f"{type_!r} is not an event type of the journal "
                       "(drctl/core/vocabulary.py)") from None
    missing = missing_fields(type_, data)
    if missing:
        raise BadEvent(f"a {type_} event needs {', '.join(missing)}")


def checked_event(run_id: str, type_: str, at: datetime, step: str | None,
                  data: dict[str, Any]) -> Event:
    """The event to write, once its type and payload are checked (`check_payload`)."""
    check_payload(type_, data)
    return Event(run_id, type_, at, step, data)
