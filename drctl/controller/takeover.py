"""On becoming leader: failovers a dead controller (or operator) left `interrupted`.

With the playbook's `controller.resume: auto` the new leader resumes them (steps verify before
they apply, so nothing is done twice); otherwise every channel is told once, with the exact
`drctl failover --resume` command. Either way the decision is claimed per run, so two
controllers never both resume or both notify.
"""

from __future__ import annotations

import structlog

from drctl.controller.runners import LoadedPlaybook
from drctl.controller.watch import WatchContext, failover_deps
from drctl.core.commands import drctl
from drctl.core.errors import DrctlError
from drctl.core.run import Run, RunStatus
from drctl.failover.runner import resume_failover
from drctl.failover.spec import FailoverOptions
from drctl.notify.base import Notification
from drctl.playbook.loader import load_playbook
from drctl.store.base import list_runs

log = structlog.get_logger("drctl.controller")


def take_over(playbooks: dict[str, LoadedPlaybook], ctx: WatchContext) -> None:
    for run in list_runs(ctx.store, "failover", 100):
        loaded = playbooks.get(str(run.params.get("playbook")))
        if loaded is None or run.effective_status is not RunStatus.INTERRUPTED:
            continue
        if not ctx.state.claim(f"{loaded.playbook.name}/takeover", run.started_at, ctx.who,
                               ctx.clock.now()):
            continue
        if loaded.playbook.controller.resume == "auto":
            ctx.submit(lambda run=run, loaded=loaded: _resume(run, loaded, ctx))  # type: ignore[misc]
        else:
            _notify(run, loaded, ctx)


def resume_command(run: Run) -> str:
    return drctl("failover", "--resume", run.run_id, "--takeover")


def _resume(run: Run, loaded: LoadedPlaybook, ctx: WatchContext) -> None:
    log.warning("failover_resuming", run_id=run.run_id, playbook=loaded.playbook.name)
    engine = ctx.engine(f"{loaded.playbook.name}/failover")
    try:
        resumed = resume_failover(run.run_id, failover_deps(loaded, ctx), engine,
                                  FailoverOptions(takeover=True), load_playbook)
        log.warning("failover_ended", run_id=run.run_id, status=str(resumed.status))
    except DrctlError as exc:
        log.error("failover_resume_failed", run_id=run.run_id, error=exc.message, hint=exc.hint)
    except KeyboardInterrupt:
        log.warning("failover_interrupted", run_id=run.run_id)


def _notify(run: Run, loaded: LoadedPlaybook, ctx: WatchContext) -> None:
    command = resume_command(run)
    note = Notification(
        subject=f"[drctl] failover {run.run_id} was interrupted",
        text=f"The failover {run.run_id} of {loaded.playbook.name} was interrupted (its process "
             f"is gone). Resume it with `{command}`, or end it with "
             f"`{drctl('runs', 'abort', run.run_id, '--reason …')}`.",
        data={"run_id": run.run_id, "status": str(RunStatus.INTERRUPTED), "resume": command})
    target = str(run.params.get("target_region"))
    channels, _ = failover_deps(loaded, ctx).channels(target)
    for channel in channels:
        try:
            channel.send(note)
        except Exception as exc:  # one failing channel must not silence the others
            log.error("notify_failed", run_id=run.run_id, error=str(exc))
    log.warning("failover_interrupted_found", run_id=run.run_id, resume=command)
