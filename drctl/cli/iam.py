"""`drctl iam-policy`: the IAM policy a playbook's failover needs, ready to attach."""

from __future__ import annotations

import typer

from drctl.cli.options import PlaybookOpt, app_of
from drctl.cli.render import print_json
from drctl.controller.iam import controller_policy
from drctl.core.errors import InvalidInput
from drctl.failover.iam import failover_policy
from drctl.playbook.loader import load_playbook
from drctl.store.open import parse_dynamodb_url


def iam_policy(
    ctx: typer.Context,
    playbook: str = PlaybookOpt,
    account: str = typer.Option("*", "--account-id", help="Scope ARNs to this AWS account."),
    controller: bool = typer.Option(
        False, "--controller", help="The policy of `drctl controller`: the failover's, plus "
        "the shared store (--state), the RPO canary and the alarm topic's queue."),
) -> None:
    """Print the least-privilege IAM policy (JSON) a failover with PLAYBOOK needs.

    Every call that changes something is scoped to the resources the playbook names; secrets
    (webhook URLs) come from the environment, never the playbook, and need no IAM.
    """
    app = app_of(ctx)
    if account != "*" and not (account.isdigit() and len(account) == 12):
        raise InvalidInput(f"--account-id {account!r} is not an AWS account id (12 digits)",
                           hint="for example --account-id 123456789012, or leave it out")
    book = load_playbook(playbook)
    if not controller:
        print_json(failover_policy(book, account))
        return
    state = app.state_url
    table = parse_dynamodb_url(state) if state and state.startswith("dynamodb://") else None
    print_json(controller_policy(book, account, table))
