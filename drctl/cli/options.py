"""Options shared by several commands, defined once."""

from __future__ import annotations

import typer

from drctl.cli.app import DEFAULT_PLAYBOOK

JsonOpt = typer.Option(False, "--json", help="Print a machine-readable JSON object on stdout.")
PlaybookOpt = typer.Option(
    DEFAULT_PLAYBOOK, "--playbook", "-p", metavar="FILE", help="Failover playbook (YAML).",
    show_default=True
)


def app_of(ctx: typer.Context):  # type: ignore[no-untyped-def]
    """The Application built by the top-level callback."""
    return ctx.find_root().obj
