"""Running a runbook as a Run: start it, resume it, and the one call a scheduler makes.

The run journals what it needs to be resumed from any shell: the runbook's path, the typed
params, the playbook, and a hash of every step, so a resume of an edited runbook is refused
with what changed rather than silently running different steps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from drctl.aws.estate import Aws
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput, NotConfirmed
from drctl.core.events import Event
from drctl.core.operator import Operator
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.core.step import StepContext
from drctl.failover.approval import Person
from drctl.notify.base import Channel
from drctl.playbook.schema import Targets
from drctl.runbook.actions.base import ActionEnv, CallTimedOut, Deadline
from drctl.runbook.load import load_runbook
from drctl.runbook.measure import measure_runbook
from drctl.runbook.model import Runbook, RunStep
from drctl.runbook.params import resolve_params
from drctl.runbook.precheck import check_before_start
from drctl.runbook.sequence import CALL, NAME, RunbookSequence, Walk
from drctl.store.base import load_run

KIND = "runbook"
# On a step_succeeded a person journaled at resume (`--done`): who said it had happened.
MARKED_DONE_BY = "marked_done_by"


@dataclass
class RunbookDeps:
    """What a runbook run needs from its host. `channels` is asked once per wait; `drctl` is
    the argv that runs drctl itself, `env` the environment of `drctl` and `shell` steps."""

    aws: Aws
    operator: Operator
    channels: Callable[[Runbook], list[Channel]]
    targets: Targets = field(default_factory=Targets)
    playbook_path: str = ""
    drctl: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    caller: Callable[[], str] = lambda: "unknown AWS identity"
    http: httpx.Client | None = None
    person: Callable[[], Person] = lambda: Person("unknown", "unknown AWS identity")


def step_hashes(runbook: Runbook) -> list[list[str]]:
    """[id, hash] per step, in order: what a resume compares."""
    return [[s.id, hashlib.sha256(json.dumps(s.raw, sort_keys=True, default=str).encode())
             .hexdigest()[:16]] for s in runbook.steps]


def start_runbook(runbook: Runbook, given: dict[str, Any], deps: RunbookDeps,
                  engine: Engine) -> Run:
    """Type the params (InvalidInput before anything runs), start the run, execute it."""
    values = resolve_params(runbook, given)
    check_before_start(runbook, values, engine.clock.now())
    run_id = engine.start(KIND, {
        "runbook": runbook.meta.id, "title": runbook.meta.title,
        "runbook_path": str(runbook.path.resolve()), "values": values,
        "steps": step_hashes(runbook), "playbook_path": deps.playbook_path,
        "allow_self_approval": runbook.meta.approval.allow_self_approval,
        "target": runbook.meta.id})
    return _execute(runbook, values, deps, engine, run_id)


def resume_runbook(run_id: str, deps: RunbookDeps, engine: Engine, *,
                   rerun: set[str] | None = None, done: set[str] | None = None,
                   takeover: bool = False) -> Run:
    """Continue a run from its first step not done. InvalidInput when it is not a runbook
    run, already finished, or its runbook's steps changed since it started (naming them)."""
    run = load_run(engine.store, run_id)
    if run.kind != KIND:
        raise InvalidInput(f"run {run.run_id} is a {run.kind}, not a runbook run")
    if run.effective_status.finished and run.effective_status is not RunStatus.FAILED:
        raise InvalidInput(f"run {run.run_id} is {run.effective_status}: nothing to resume")
    run.ensure_not_live(takeover, override=f"drctl runbook resume {run.run_id} --takeover")
    runbook = load_runbook(run.params["runbook_path"])
    _same_steps(run, runbook)
    rerun, done = set(rerun or ()), set(done or ())
    unknown = (rerun | done) - {s.id for s in runbook.steps}
    if unknown:
        raise InvalidInput(f"no step {', '.join(sorted(unknown))} in runbook {runbook.meta.id}")
    uncertain = _timed_out_calls(run, engine.store.events(run.run_id))
    _may_run_again(run, runbook, rerun | done, deps.operator, uncertain)
    engine.resume(run.run_id)
    marker = deps.person().to_dict() if done else {}
    for step_id in sorted(done):
        engine.emit(run.run_id, "step_succeeded", step_id, output={}, skipped_apply=True,
                    skip_reason="marked done by the operator at resume",
                    **{MARKED_DONE_BY: marker})
    return _execute(runbook, dict(run.params["values"]), deps, engine, run.run_id)


def _same_steps(run: Run, runbook: Runbook) -> None:
    before = {sid: digest for sid, digest in run.params.get("steps", [])}
    now = {sid: digest for sid, digest in step_hashes(runbook)}
    changes = [f"{sid} removed" for sid in before if sid not in now]
    changes += [f"{sid} added" for sid in now if sid not in before]
    changes += [f"{sid} changed" for sid in now if sid in before and now[sid] != before[sid]]
    if not changes and list(before) != list(now):
        changes.append("the order of the steps changed")
    if changes:
        raise InvalidInput(
            f"runbook {runbook.path} changed since run {run.run_id} started: "
            f"{', '.join(changes)}; resuming would run different steps than were journaled",
            hint="restore the runbook as it was, or start a new run: "
                 f"`drctl runbook run {runbook.path}`")


def _timed_out_calls(run: Run, events: list[Event]) -> set[str]:
    """Steps that failed last because a call that changes things got no answer in time."""
    last = {e.step: e.data.get("error_type") for e in events if e.type == "step_failed"}
    return {r.name for r in run.steps if r.status is StepStatus.FAILED
            and last.get(r.name) == CallTimedOut.__name__}


def _may_run_again(run: Run, runbook: Runbook, decided: set[str], operator: Operator,
                   uncertain: set[str]) -> None:
    """A step journaled as started but never as ended (or whose call timed out) may or may
    not have happened: it runs again when it is read-only or guarded by `skip_if`, or when a
    person says so. Checked before the run is touched, so a refusal leaves it as it was
    (NotConfirmed, exit 3)."""
    for record in run.steps:
        unknown = record.status is StepStatus.RUNNING or record.name in uncertain
        if not unknown or record.name == NAME or record.name in decided:
            continue
        step = runbook.step(record.name).spec
        if not step.mutating or step.skip_if:
            continue
        question = (f"step {step.id} ({step.describe()}) was started but not journaled as "
                    "done: it may or may not have happened. Run it again? [y/N] ")
        if operator.interactive and operator.ask(question).strip().lower() in ("y", "yes"):
            continue
        raise NotConfirmed(
            f"step {step.id} ({step.describe()}) was started but never journaled as done, "
            "and it changes things: check whether it happened",
            hint=f"then `drctl runbook resume {run.run_id} --rerun {step.id}` to run it again, "
                 f"or `drctl runbook resume {run.run_id} --done {step.id}` if it did happen")


def _execute(runbook: Runbook, values: dict[str, Any], deps: RunbookDeps, engine: Engine,
             run_id: str) -> Run:
    walk = Walk(values)

    def make_env(ctx: StepContext, step: RunStep, deadline: Deadline) -> ActionEnv:
        return _env(runbook, deps, ctx, step, deadline)

    measures = runbook.meta.measures
    measure = None if measures is None else (
        lambda run: measure_runbook(run, measures, deps.targets))
    sequence = RunbookSequence(runbook, walk, make_env)
    return engine.execute(run_id, [sequence], measure=measure)


def _env(runbook: Runbook, deps: RunbookDeps, ctx: StepContext, step: RunStep,
         deadline: Deadline) -> ActionEnv:
    def announce(call: dict[str, Any]) -> None:
        if ctx.journal is not None:
            ctx.journal.emit(CALL, step=step.id, **call)

    return ActionEnv(
        aws=deps.aws, ctx=ctx, operator=deps.operator, channels=deps.channels(runbook),
        caller=deps.caller, person=deps.person, runbook_title=runbook.meta.title,
        allow_shell=runbook.meta.allow_shell, approval_timeout=runbook.meta.approval.timeout,
        drctl=deps.drctl, env=deps.env, step_id=step.id, deadline=deadline,
        announce=announce, http=deps.http)
