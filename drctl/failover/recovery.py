"""What a failover that stopped half way changed, and the commands that get out of it.

Every way out named here is a command that works in that situation (tests run them as
printed): resume a failed or interrupted run; end it (`drctl runs abort … --force`, which a
failed run holding the playbook's lock accepts too); finish the job of an ended run with
`drctl failover --region TARGET` (the remaining steps, DNS left as it is); roll back with
`drctl failover --region FAILED`, once that region is healthy.
"""

from __future__ import annotations

import shlex

from drctl.core.errors import NotConfirmed
from drctl.core.operator import Operator
from drctl.core.run import Run, StepRecord, StepStatus

# Steps that change the estate; a run that failed before any of them started changed nothing.
MUTATING_STEPS = ("switch_dns", "scale_secondary")


def changed_steps(run: Run) -> list[StepRecord]:
    return [s for s in run.steps if s.name in MUTATING_STEPS and s.status is not StepStatus.PENDING]


def what_changed(run: Run) -> str:
    """`already changed: switch_dns done, scale_secondary partly done`."""
    parts = [f"{s.name} {'done' if s.status is StepStatus.SUCCEEDED else 'partly done'}"
             for s in changed_steps(run)]
    return "already changed: " + ", ".join(parts)


def failover_command(run: Run, region: str) -> str:
    """`drctl failover --region R --playbook P`: the playbook named, so it works anywhere."""
    path = str(run.params.get("playbook_path") or "")
    return f"drctl failover --region {region}" + (f" --playbook {shlex.quote(path)}"
                                                  if path else "")


def recovery_advice(run: Run) -> dict[str, str] | None:
    """For a failed or interrupted run that changed the estate: what changed, the ways out."""
    if not changed_steps(run):
        return None
    failed = str(run.params.get("failed_region"))
    return {
        # The step it stopped in: failed, or still running when the process was stopped.
        "failed_step": next((s.name for s in run.steps
                             if s.status in (StepStatus.FAILED, StepStatus.RUNNING)), ""),
        "changed": what_changed(run),
        "resume": f"fix the cause, then `drctl failover --resume {run.run_id}`",
        "roll_back": f"or roll back: `drctl runs abort {run.run_id} --reason \"roll back\" "
                     f"--force`, then `{failover_command(run, failed)}` once {failed} is "
                     "healthy",
    }


def abort_leaves(run: Run) -> dict[str, str] | None:
    """What ending this failover now leaves behind, and the ways on from there; None when it
    changed nothing."""
    if not changed_steps(run):
        return None
    target = str(run.params.get("target_region"))
    failed = str(run.params.get("failed_region"))
    dns = run.step("switch_dns").status
    traffic = (f"traffic goes to {target}" if dns is StepStatus.SUCCEEDED
               else f"traffic may be split between {failed} and {target}")
    if run.step("scale_secondary").status is StepStatus.SUCCEEDED:
        left, forward = (f"{traffic}, at production capacity; not done: the smoke tests "
                         "and the notifications",
                         f"check {target}'s health yourself, and tell the team")
    else:
        left = (f"{traffic}, which may not be at production capacity nor have its database "
                "promoted")
        forward = (f"finish the job, once what stopped it is fixed: "
                   f"`{failover_command(run, target)}` (the remaining steps, DNS left as it is)")
    return {
        "changed": what_changed(run),
        "left": f"aborting leaves the estate as it is: {left}",
        "resume": forward,
        "roll_back": f"or roll back: `{failover_command(run, failed)}` once {failed} is "
                     "healthy",
    }


def confirm_abort(operator: Operator, run: Run, reason: str) -> None:
    """A person ends a run that changed the estate only knowingly: at a terminal they type
    `abort`; without one, `--force` says so (NotConfirmed, exit 3, otherwise)."""
    again = f"drctl runs abort {run.run_id} --reason {shlex.quote(reason)} --force"
    if not operator.interactive:
        raise NotConfirmed(f"run {run.run_id} changed the estate ({what_changed(run)}) and "
                           "there is no terminal to confirm ending it; nothing was changed",
                           hint=f"to end it anyway: `{again}`")
    if operator.ask("Type abort to end the run and leave the estate as it is: ") != "abort":
        raise NotConfirmed(f"run {run.run_id} was not ended; nothing was changed")
