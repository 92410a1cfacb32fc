"""`drctl iam-policy`: the IAM policy a playbook's failover needs, ready to attach."""

from __future__ import annotations

import typer

from drctl.cli.options import PlaybookOpt, app_of
from drctl.cli.render import print_json
from drctl.failover.iam import failover_policy
from drctl.playbook.loader import load_playbook


def iam_policy(
    ctx: typer.Context,
    playbook: str = PlaybookOpt,
    account: str = typer.Option("*", "--account-id", help="Scope ARNs to this AWS account."),
) -> None:
    """Print the least-privilege IAM policy (JSON) a failover with PLAYBOOK needs.

    Every call that changes something is scoped to the resources the playbook names; secrets
    (webhook URLs) come from the environment, never the playbook, and need no IAM.
    """
    app_of(ctx)
    print_json(failover_policy(load_playbook(playbook), account))
