"""What a fire runs, per kind, through the very functions `drctl chaos run`, `drctl drill` and
`drctl runbook run` call -- so a scheduled run passes the same pre-flight and guards (kill
switch, unfinished failovers, guard alarms, blocked windows, blast radius; a drill's target and
recovery point; a runbook's params). A runbook runs unattended: one that waits for a person is
not served (drctl/controller/playbooks.py).

A pre-flight refusal is a journaled run with verdict `skipped`; a schedule that cannot be run
as written (its experiment file is gone) is a journaled `failed` run with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drctl.app import App
from drctl.aws.estate import Aws
from drctl.controller.execute import Runner, RunResult, TriggeredEngine, journal_verdict
from drctl.controller.tick import Fire
from drctl.core.engine import Engine
from drctl.core.errors import DrctlError, InvalidInput
from drctl.core.run import RunStatus
from drctl.drill.db_check import run_command
from drctl.drill.preflight import preflight
from drctl.drill.runner import run_drill
from drctl.drill.spec import DrillDeps, DrillOptions, select_drills
from drctl.playbook.schedules import Scalar
from drctl.playbook.schema import Playbook
from drctl.store.base import load_run


@dataclass(frozen=True)
class LoadedPlaybook:
    path: Path
    playbook: Playbook

    def resolve(self, relative: str) -> Path:
        """A schedule's file: relative to the playbook's own file, or absolute."""
        given = Path(relative)
        return given if given.is_absolute() else (self.path.parent / given).resolve()


@dataclass(frozen=True)
class RunContext:
    aws: Aws
    store_url: str
    profile: str | None
    playbooks: dict[str, LoadedPlaybook]   # playbook name -> where it was loaded from
    app: App | None = None                 # runbooks build their deps from the root

    @classmethod
    def of(cls, app: App, playbooks: dict[str, LoadedPlaybook]) -> RunContext:
        return cls(app.aws, app.store_url, app.profile, playbooks, app)


def runners(ctx: RunContext) -> dict[str, Runner]:
    return {"chaos": lambda fire, engine: run_scheduled_chaos(ctx, fire, engine),
            "drill": lambda fire, engine: run_scheduled_drill(ctx, fire, engine),
            "runbook": lambda fire, engine: run_scheduled_runbook(ctx, fire, engine)}


def chaos_vars(values: dict[str, Scalar]) -> list[str]:
    """`vars:` as `--var name[:type]=value`, so chaoslib converts them as it does for the CLI."""
    typed = {bool: "str", int: "int", float: "float", str: "str"}  # chaoslib has no bool
    return [f"{name}:{typed[type(value)]}={_text(value)}" for name, value in values.items()]


def _text(value: Scalar) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def run_scheduled_chaos(ctx: RunContext, fire: Fire, engine: Engine) -> RunResult:
    from drctl.chaos.experiment import load_chaos_experiment  # imports chaoslib
    from drctl.chaos.runner import ChaosDeps, run_chaos

    loaded = ctx.playbooks[fire.job.playbook]
    schedule = fire.job.schedule
    assert schedule.chaos is not None
    try:
        experiment = load_chaos_experiment(str(loaded.resolve(schedule.chaos)),
                                           chaos_vars(schedule.vars))
    except InvalidInput as exc:
        return _cannot_run(engine, fire, f"cannot load the experiment: {exc.message}")
    deps = ChaosDeps(ctx.aws, loaded.playbook, ctx.store_url, ctx.profile)
    result = run_chaos(experiment, deps, engine)
    return RunResult(result.run.run_id, str(result.outcome.verdict), result.outcome.reason)


def run_scheduled_drill(ctx: RunContext, fire: Fire, engine: Engine) -> RunResult:
    loaded = ctx.playbooks[fire.job.playbook]
    drill = fire.job.schedule.drill
    assert drill is not None
    deps = DrillDeps(ctx.aws, engine.clock, run_command)
    try:
        specs = select_drills(loaded.playbook, DrillOptions(drill.target, drill.kind))
        point = preflight(specs[0], deps)
    except InvalidInput as exc:
        run_id = journal_verdict(engine, fire.job, "skipped", f"pre-flight refused: {exc}")
        return RunResult(run_id, "skipped", str(exc))
    try:
        run = run_drill(specs[0], point, deps, engine)
    except DrctlError as exc:
        return _ended(engine, exc)
    passed = run.status is RunStatus.SUCCEEDED
    return RunResult(run.run_id, "passed" if passed else str(run.status))


def run_scheduled_runbook(ctx: RunContext, fire: Fire, engine: Engine) -> RunResult:
    from drctl.runbook.service import run_unattended  # imports the runbook extra

    loaded = ctx.playbooks[fire.job.playbook]
    schedule = fire.job.schedule
    assert schedule.runbook is not None and ctx.app is not None
    try:
        run = run_unattended(ctx.app, loaded.resolve(schedule.runbook), dict(schedule.params),
                             playbook_path=str(loaded.path), engine=engine)
    except DrctlError as exc:
        if exc.run_id is None:  # refused before anything ran (the runbook or its params)
            return _cannot_run(engine, fire, f"cannot run the runbook: {exc.message}")
        return _ended(engine, exc)
    except KeyboardInterrupt as exc:  # the controller is stopping: journaled `interrupted`
        started = engine.run_ids if isinstance(engine, TriggeredEngine) else []
        return RunResult(started[-1] if started else None, "interrupted", str(exc))
    passed = run.status is RunStatus.SUCCEEDED
    return RunResult(run.run_id, "passed" if passed else str(run.status), run.error or "")


def _ended(engine: Engine, exc: DrctlError) -> RunResult:
    """A run that started and did not succeed: aborted (stopped, refused mid-way) or failed."""
    ended = load_run(engine.store, exc.run_id).status if exc.run_id else RunStatus.FAILED
    return RunResult(exc.run_id, "aborted" if ended is RunStatus.ABORTED else "failed",
                     exc.message)


def _cannot_run(engine: Engine, fire: Fire, reason: str) -> RunResult:
    run_id = journal_verdict(engine, fire.job, "failed", reason, RunStatus.FAILED)
    return RunResult(run_id, "failed", reason)

