"""The failover as a Run: resolve what it is about, plan it, run its six steps, measure it."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drctl.core.clock import iso, parse_iso
from drctl.core.engine import Engine, new_run_id
from drctl.core.errors import DrctlError, InvalidInput, NotConfirmed, ResourceMissing
from drctl.core.figures import FailoverFigures
from drctl.core.interrupt import CTRL_C, Interrupted
from drctl.core.run import Run, RunStatus
from drctl.core.step import Change, Step, StepContext
from drctl.failover import lock
from drctl.failover.confirm import Confirm
from drctl.failover.detect import Detect
from drctl.failover.dns import active_regions, read_records
from drctl.failover.measure import failover_measurement
from drctl.failover.notify import Notify
from drctl.failover.playbook_record import playbook_for_resume, record
from drctl.failover.preflight import Check, preflight
from drctl.failover.recovery import changed_steps, recovery_advice
from drctl.failover.recovery_keeper import RecoveryKeeper
from drctl.failover.scale_secondary import ScaleSecondary
from drctl.failover.smoke_test import SmokeTest
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.failover.switch_dns import SwitchDns
from drctl.playbook.schema import Playbook
from drctl.store.base import load_run

STEP_CLASSES = (Detect, Confirm, SwitchDns, ScaleSecondary, SmokeTest, Notify)
STEP_NAMES = tuple(cls.name for cls in STEP_CLASSES)


@dataclass(frozen=True)
class FailoverPlan:
    spec: FailoverSpec
    active_regions: list[str]
    changes: list[Change]
    preflight: list[Check]

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.spec.playbook.name,
            "target_region": self.spec.target_region,
            "failed_region": self.spec.failed_region,
            "active_regions": self.active_regions,
            "finishing": self.spec.finishing,
            "steps": list(STEP_NAMES),
            "changes": [c.to_dict() for c in self.changes],
            "preflight": [c.to_dict() for c in self.preflight],
        }


def resolve_spec(
    playbook: Playbook, playbook_path: str, target: str, deps: FailoverDeps,
    options: FailoverOptions,
) -> tuple[FailoverSpec, list[str]]:
    """Check the target against the playbook and live DNS; find the region being failed.

    Raises InvalidInput (exit 2) for a region the playbook does not have, or one that already
    takes all the traffic; ResourceMissing for a zone or record that does not exist.
    """
    regions = list(playbook.regions)
    if target not in regions:
        raise InvalidInput(
            f"{target!r} is not a region of playbook {playbook.name!r} "
            f"(its regions: {', '.join(regions)})"
        )
    _, found = read_records(deps.aws.route53(), playbook.dns, regions)
    first = playbook.dns.records[0]
    active = active_regions(first, found[first.name])
    if active == [target]:
        return _finishing(playbook, playbook_path, target, deps, options), active
    others = [r for r in active if r != target]
    failed = others[0] if others else playbook.primary_region
    return FailoverSpec(playbook, playbook_path, target, failed, options), active


def _finishing(playbook: Playbook, playbook_path: str, target: str, deps: FailoverDeps,
               options: FailoverOptions) -> FailoverSpec:
    """TARGET already takes the traffic. If it is not at production capacity or its database
    is not promoted (a failover ended half way), the failover finishes the job: the remaining
    steps, DNS left as it is. Otherwise there is nothing to fail over (InvalidInput)."""
    failed = next(r for r in playbook.regions if r != target)
    spec = FailoverSpec(playbook, playbook_path, target, failed, options, finishing=True)
    try:
        left = ScaleSecondary(spec, deps).unfinished()
    except ResourceMissing:
        left = []  # what the target lacks is no failover's to create: nothing to finish
    if not left:
        name = playbook.dns.records[0].name
        raise InvalidInput(
            f"{target} is already the active region of {name}, at production capacity: "
            "nothing to fail over",
            hint=f"to fail back once {failed} is healthy, target it: `drctl failover --region "
                 f"{failed} --playbook {shlex.quote(playbook_path)}`")
    return spec


def build_steps(spec: FailoverSpec, deps: FailoverDeps) -> list[Step]:
    return [cls(spec, deps) for cls in STEP_CLASSES]


def plan_failover(spec: FailoverSpec, deps: FailoverDeps, active: list[str]) -> FailoverPlan:
    """Every change the failover would make, and the pre-flight, read live; touches nothing."""
    return FailoverPlan(spec, active, plan_changes(spec, deps), preflight(spec, deps))


def plan_changes(spec: FailoverSpec, deps: FailoverDeps) -> list[Change]:
    ctx = StepContext("plan", deps.clock)
    return [change for step in build_steps(spec, deps) for change in step.plan(ctx)]


def run_failover(
    playbook: Playbook, playbook_path: str, target: str, deps: FailoverDeps, engine: Engine,
    options: FailoverOptions,
) -> Run:
    """Take the playbook's lock, check the target under it, open the run, read every resource
    the steps will touch, run the six steps, measure.

    Raises DrctlError subclasses on failure (Blocked when another failover holds the lock);
    the run is journaled, with whatever was measured, either way.
    """
    run_id = new_run_id("failover", deps.clock)
    lock.acquire(engine.store, playbook.name, run_id, deps.clock, engine.identity)
    try:
        # Resolved under the lock: a failover that finished a moment ago has moved DNS.
        spec, _ = resolve_spec(playbook, playbook_path, target, deps, options)
        deps.channels(spec.target_region)  # a required webhook that is not set: exit 2 now
        # Opened before the slow reads: the incident has a run (and the controller's
        # detection latency ends) as soon as the target is known.
        engine.start("failover", failover_params(spec), run_id=run_id)
        steps = build_steps(spec, deps)
        _read_first(deps, engine, run_id, steps)
        return _execute(spec, deps, engine, run_id, steps)
    finally:
        lock.settle(engine.store, playbook.name, run_id)


def _read_first(deps: FailoverDeps, engine: Engine, run_id: str, steps: list[Step]) -> None:
    """Every resource the steps will touch, read before anything changes (each step keeps
    what it read for its own apply, drctl/failover/base.py): a missing replica or service
    ends the run aborted with nothing changed, and its error (exit 2) goes on."""
    ctx = StepContext(run_id, deps.clock, interrupt=engine.interrupt)
    try:
        for step in steps:
            step.plan(ctx)
    except DrctlError as exc:
        _end_unchanged(engine, run_id, f"refused before anything changed: {exc.message}")
        exc.run_id = run_id
        raise
    except Interrupted as stop:
        if stop.reason == CTRL_C:
            _end_unchanged(engine, run_id, "Ctrl-C before anything changed")
            raise _said_no(run_id) from None
        with engine.running(run_id):  # another stop: interrupted, as in a step
            raise
    except BaseException:
        with engine.running(run_id):  # a bug: the run ends failed, with the error
            raise


def _end_unchanged(engine: Engine, run_id: str, reason: str) -> None:
    """End this process's own run, which changed nothing, as aborted (its lock is then
    released by `lock.settle`)."""
    engine.emit(run_id, "run_finished", status=str(RunStatus.ABORTED), error=reason)


def _said_no(run_id: str) -> NotConfirmed:
    """Ctrl-C before anything changed is a "no": exit 3, not a run left to resume."""
    refused = NotConfirmed("Ctrl-C before anything changed, taken as no: the run is "
                           "aborted and nothing was changed")
    refused.run_id = run_id
    return refused


def resume_failover(
    run_id: str, deps: FailoverDeps, engine: Engine, options: FailoverOptions,
    load: Callable[[str], Playbook], playbook: str | None = None,
) -> Run:
    """Continue a failover whose process died (or that failed) from its first step not done,
    with its own playbook: `playbook` or the recorded path, refused (InvalidInput) unless its
    content is the one the run started with.

    Steps verify before they apply, so one that had finished but was not journaled is not
    done twice; the incident start, and so the RTO, come from the original journal.
    """
    run = load_run(engine.store, run_id, now=deps.clock.now(), identity=engine.identity)
    if run.kind != "failover":
        raise InvalidInput(f"run {run.run_id} is a {run.kind}, not a failover",
                           hint=_not_resumed_here(run))
    status = run.effective_status
    if status.finished and status is not RunStatus.FAILED:
        raise InvalidInput(f"run {run.run_id} is {status}: there is nothing to resume")
    observed = engine.store.lock(lock.lock_name(run.params["playbook"]))
    run.ensure_not_live(options.takeover,
                        override=f"drctl failover --resume {run.run_id} --takeover")
    params = run.params
    book = load(playbook_for_resume(run.run_id, params, playbook))
    start = params.get("incident_start_override")
    spec = FailoverSpec(
        book, params["playbook_path"], params["target_region"], params["failed_region"],
        FailoverOptions(yes=options.yes or bool(params.get("yes")),
                        incident_start=parse_iso(start) if start else options.incident_start,
                        incident_start_source=str(params.get("incident_start_source")
                                                  or options.incident_start_source),
                        force=options.force or bool(params.get("force")),
                        approval=options.approval or bool(params.get("approval"))),
        finishing=bool(params.get("finishing")),
    )
    mine = observed if observed is not None and observed.run_id == run.run_id else None
    lock.acquire(engine.store, book.name, run.run_id, deps.clock, engine.identity,
                 replace=mine)
    try:
        # Under the lock, look again: another resume may have finished it in the meantime.
        again = load_run(engine.store, run.run_id).status
        if again.finished and again is not RunStatus.FAILED:
            raise InvalidInput(f"run {run.run_id} is {again}: there is nothing to resume")
        engine.resume(run.run_id)
        return _execute(spec, deps, engine, run.run_id)
    finally:
        lock.settle(engine.store, book.name, run.run_id)


def _execute(spec: FailoverSpec, deps: FailoverDeps, engine: Engine, run_id: str,
             steps: list[Step] | None = None) -> Run:
    def measure(run: Run) -> FailoverFigures:
        return failover_measurement(spec.playbook, run.facts())

    keeper = RecoveryKeeper(engine, run_id, recovery_advice)
    engine.subscribers.insert(0, keeper)  # before a crash rehearsal's subscriber
    if load_run(engine.store, run_id).changes:
        keeper.journal()  # resumed after changes: the advice stands until the run ends
    try:
        return engine.execute(run_id, steps or build_steps(spec, deps), measure=measure)
    except DrctlError as exc:
        exc.hint = exc.hint or _journal_recovery(engine, run_id)
        raise
    except Interrupted as stop:
        if stop.reason == CTRL_C and not changed_steps(load_run(engine.store, run_id)):
            # Before anything changed, Ctrl-C is a "no": ended, not left to resume.
            engine.abort(run_id, "Ctrl-C before anything changed")
            raise _said_no(run_id) from None
        stop.hint = _journal_recovery(engine, run_id)  # journaled `interrupted`: the ways on
        raise
    finally:
        engine.subscribers.remove(keeper)


def _journal_recovery(engine: Engine, run_id: str) -> str | None:
    """Journal the ways out of a run that changed the estate; returns them as one hint."""
    recovery = recovery_advice(load_run(engine.store, run_id))
    if not recovery:
        return None
    engine.emit(run_id, "run_recovery", **recovery)
    return f"{recovery['changed']}. {recovery['resume']}; {recovery['roll_back']}"


def failover_params(spec: FailoverSpec) -> dict[str, Any]:
    return {
        "playbook": spec.playbook.name,
        **record(spec.playbook_path),  # absolute path, content hash and content
        "target_region": spec.target_region,
        "failed_region": spec.failed_region,
        "yes": spec.options.yes,
        "force": spec.options.force,
        "approval": spec.options.approval,
        "incident_start_override": iso(spec.options.incident_start),
        "incident_start_source": spec.options.incident_start_source,
        "lock": lock.lock_name(spec.playbook.name),
        "finishing": spec.finishing,
    }


def _not_resumed_here(run: Run) -> str:
    """The way on for a run `failover --resume` does not continue."""
    if run.kind == "reprotect":  # every step verifies first: running it again continues
        path = Path(str(run.params.get("playbook_path") or "")).resolve()
        return (f"run it again, it continues where it stopped: `drctl reprotect --region "
                f"{run.params.get('target_region')} --playbook {path}`")
    return f"see `drctl runs show {run.run_id}`"
