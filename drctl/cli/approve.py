"""`drctl approve` / `drctl reject`: the second person's answer to a run waiting for approval
(a failover at confirm, a runbook at an `approve` step)."""

from __future__ import annotations

import typer

from drctl.cli.options import JsonOpt, app_of
from drctl.cli.render import print_json
from drctl.failover.approval import current_person, decide
from drctl.playbook.loader import load_playbook
from drctl.store.base import load_run


def _decide(ctx: typer.Context, run_id: str, approve: bool, reason: str, json_out: bool) -> None:
    app = app_of(ctx)
    run = load_run(app.store, run_id)
    if run.kind == "runbook":  # the runbook's own rule, journaled when it started
        allow_self = bool(run.params.get("allow_self_approval"))
    else:
        playbook = load_playbook(str(run.params.get("playbook_path", "")))
        allow_self = playbook.confirmation.allow_self_approval
    person = current_person(app.aws, app.identity)
    event = decide(app.engine([]), run.run_id, person, approve=approve, reason=reason,
                   allow_self=allow_self)
    if json_out:
        print_json({"run_id": run.run_id, "decision": event.type, "by": person.to_dict(),
                    "reason": reason})
    else:
        verb = "approved" if approve else "rejected"
        app.console.print(f"{verb} run {run.run_id} as {person.describe()}")


def approve(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The failover or runbook run waiting for approval."),
    comment: str = typer.Option("", "--comment", help="Recorded with the approval."),
    json_out: bool = JsonOpt,
) -> None:
    """Approve a failover that waits at `confirm` for a second person.

    You may not approve a failover you started (same OS user and AWS identity) unless the
    playbook sets confirmation.allow_self_approval. Exit 4 if refused, 2 if not waiting.
    """
    _decide(ctx, run_id, True, comment, json_out)


def reject(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The failover or runbook run waiting for approval."),
    reason: str = typer.Option(..., "--reason", help="Why; recorded in the journal."),
    json_out: bool = JsonOpt,
) -> None:
    """Reject a failover that waits for approval: it ends as aborted (exit 3 for its operator)."""
    _decide(ctx, run_id, False, reason, json_out)
