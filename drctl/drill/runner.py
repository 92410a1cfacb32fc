"""The drill as a Run: check every requested drill first, then restore, validate, clean up.

    preflight (every drill; a refused one is reported first, the others still run; exit 2)
    -> per drill: [copy_snapshot] restore, wait_available, validate, check_targets, [keep],
       cleanup
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drctl.core.clock import iso
from drctl.core.engine import Engine, new_run_id
from drctl.core.errors import DrctlError, InvalidInput, NotConfirmed
from drctl.core.exclusive import exclusive_run
from drctl.core.run import Run
from drctl.core.step import Change, Step, StepContext, StepPolicy
from drctl.drill import dynamodb_steps, rds_steps, s3_steps
from drctl.drill.cleanup import Cleanup
from drctl.drill.journaled import journaled, state_from_journal
from drctl.drill.measure import drill_measurement
from drctl.drill.preflight import RecoveryPoint, preflight
from drctl.drill.resources import DrillState, drill_name
from drctl.drill.spec import DrillDeps, DrillSpec
from drctl.drill.targets import CheckTargets
from drctl.store.base import load_run

Ready = list[tuple[DrillSpec, RecoveryPoint]]


class DrillInterrupted(NotConfirmed):
    """A stop (Ctrl-C, SIGTERM, SIGHUP, a host's shutdown) ended the drill; it cleaned up.
    Exit 3, as any run the operator aborted."""


@dataclass(frozen=True)
class DrillOutcome:
    runs: list[Run]
    failures: list[DrctlError]
    refused: list[InvalidInput] = field(default_factory=list)

    def error(self) -> DrctlError | None:
        """What the command exits with: a stop (3) before a refused target (2) before a failed
        drill (1); None when every requested drill ran and passed."""
        stopped = [f for f in self.failures if isinstance(f, DrillInterrupted)]
        return next(iter(stopped + list(self.refused) + self.failures), None)


def preflight_drills(specs: list[DrillSpec], deps: DrillDeps) -> tuple[Ready, list[InvalidInput]]:
    """Each drill's recovery point, and the refusals (exit 2) of those that cannot run: one
    misconfigured target does not stop the healthy ones."""
    ready: Ready = []
    refused: list[InvalidInput] = []
    for spec in specs:
        try:
            ready.append((spec, preflight(spec, deps)))
        except InvalidInput as exc:
            refused.append(exc)
    return ready, refused


def run_drills(ready: Ready, deps: DrillDeps, engine: Engine,
               refused: list[InvalidInput] | None = None,
               on_run: Callable[[Run], None] | None = None) -> DrillOutcome:
    """Run the pre-flighted drills one after another (a failed drill does not stop the next;
    a stop ends them all, each cleaned up). `on_run` is handed each drill's run as it ends
    (the CLI shows it there, beside its progress, not after every drill)."""
    runs: list[Run] = []
    failures: list[DrctlError] = []
    for spec, point in ready:
        ran, stopped = _one_drill(spec, point, deps, engine, failures)
        if ran is not None:
            runs.append(ran)
            if on_run is not None:
                on_run(ran)
        if stopped:
            break
    return DrillOutcome(runs, failures, list(refused or []))


def _one_drill(spec: DrillSpec, point: RecoveryPoint, deps: DrillDeps, engine: Engine,
               failures: list[DrctlError]) -> tuple[Run | None, bool]:
    """The drill's run (None: refused before it started) and whether a stop ended it; its
    error, if any, is added to `failures`."""
    try:
        return run_drill(spec, point, deps, engine), False
    except DrctlError as exc:
        failures.append(exc)
        ran = load_run(engine.store, exc.run_id) if exc.run_id else None
        return ran, isinstance(exc, DrillInterrupted)
    except KeyboardInterrupt as exc:  # a stop between drills: this one had not started
        failures.append(DrillInterrupted(f"stopped ({_reason(exc)}) before drill {spec.name} "
                                         f"({spec.kind}) started; nothing was created for it"))
        return None, True


def run_drill(spec: DrillSpec, point: RecoveryPoint, deps: DrillDeps, engine: Engine) -> Run:
    """One drill, journaled as a run of kind `drill`; cleanup always runs. A stop raises
    DrillInterrupted once the drill has cleaned up."""
    run_id = new_run_id("drill", deps.clock)
    state = DrillState(started_at=deps.clock.now())
    # Cleanup last: the engine's `always` step (run whatever happened).
    steps = journaled([*build_steps(spec, point, deps, state, run_id),
                       Cleanup(deps.aws, state, run_id)], state)
    params = {**spec.params(), "recovery_point": _describe(point),
              "drill_resource": drill_name(spec.target.resource, run_id)}
    # One disruptive run per playbook (drctl/core/exclusive.py): a drill restoring while an
    # experiment degrades the estate would measure the experiment. Blocked: nothing is started.
    with exclusive_run(engine.store, spec.playbook, run_id, engine.clock, engine.identity):
        return _execute(spec, steps, run_id, params, engine)


def _execute(spec: DrillSpec, steps: list[Step], run_id: str, params: dict[str, Any],
             engine: Engine) -> Run:
    engine.start("drill", params, run_id=run_id)
    # Cleanup runs whatever happened (a failed validation, Ctrl-C, SIGTERM): the engine's
    # `always` steps; a SIGKILL skips it, which is what `drctl drill cleanup` is for. The
    # figures are recomputed from what the steps journaled, not from this process's memory.
    try:
        return engine.execute(run_id, steps[:-1], always=steps[-1:],
                              measure=lambda run: drill_measurement(spec, state_from_journal(run)))
    except KeyboardInterrupt as exc:
        stopped = DrillInterrupted(f"drill {spec.name} ({spec.kind}) stopped "
                                   f"({_reason(exc)}); its resources were cleaned up")
        stopped.run_id = run_id
        raise stopped from None


def _reason(exc: KeyboardInterrupt) -> str:
    return str(getattr(exc, "reason", "") or "Ctrl-C")


def build_steps(spec: DrillSpec, point: RecoveryPoint, deps: DrillDeps, state: DrillState,
                run_id: str) -> list[Step]:
    args = (spec, deps, point, state, run_id)
    steps: list[Step]
    if spec.target.service == "dynamodb":
        steps = [dynamodb_steps.RestoreTable(*args), dynamodb_steps.WaitForTable(*args),
                 dynamodb_steps.ValidateTable(*args)]
    elif spec.target.service == "s3":
        steps = s3_steps.steps_for(*args)
    else:
        steps = [rds_steps.RestoreInstance(*args), rds_steps.WaitForInstance(*args),
                 rds_steps.ValidateInstance(*args)]
        if spec.kind == "cross-region":
            steps.insert(0, rds_steps.CopySnapshot(*args))
    steps.append(CheckTargets(spec, state))
    if spec.keep > 0:
        steps.append(Keep(spec.keep))
    return steps


class Keep:
    """`--keep`: leave the validated copy up for a while (to look at it), then clean up."""

    name = "keep"
    policy = StepPolicy()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        start = ctx.now()
        ctx.wait_until(lambda: (ctx.now() - start).total_seconds() >= self.seconds,
                       timeout=self.seconds + 60, interval=min(5.0, self.seconds),
                       what="the --keep period to end (Ctrl-C cleans up now)")
        return {"kept_seconds": round((ctx.now() - start).total_seconds(), 3)}


def _describe(point: RecoveryPoint) -> dict[str, Any]:
    return {"kind": point.kind, "source": point.source, "at": iso(point.at),
            "snapshot": point.snapshot,
            "window": [iso(t) for t in point.window] if point.window else None}
