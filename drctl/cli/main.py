"""The `drctl` command: parse, call one core function, render, map errors to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from drctl.cli import approve as approve_cmd
from drctl.cli import controller as controller_cmd
from drctl.cli import failover as failover_cmd
from drctl.cli import iam as iam_cmd
from drctl.cli import report as report_cmd
from drctl.cli import reprotect as reprotect_cmd
from drctl.cli import validate as validate_cmd
from drctl.cli.app import Application
from drctl.cli.chaos import chaos_app
from drctl.cli.drill import drill_app
from drctl.cli.logs import configure_logging
from drctl.cli.runbook import runbook_app
from drctl.cli.runs import runs_app
from drctl.cli.sandbox import sandbox_app
from drctl.cli.schedule import schedule_app
from drctl.cli.signals import stops_from_signals
from drctl.core.errors import DrctlError
from drctl.core.interrupt import StopRequest

app = typer.Typer(
    name="drctl",
    help="Disaster recovery and chaos engineering for AWS: failovers, drills, chaos, runbooks.\n\n"
    "Exit codes: 0 done · 1 failed · 2 invalid input · 3 not confirmed · 4 blocked.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    state_dir: str | None = typer.Option(
        None, "--state-dir", envvar="DRCTL_STATE_DIR",
        help="Where the journal and sandbox files live.  [default: .drctl]"),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile to use."),
    state: str | None = typer.Option(
        None, "--state", envvar="DRCTL_STATE", metavar="dynamodb://TABLE?region=R",
        help="Share runs, locks and approvals in a DynamoDB table instead of the local "
             "SQLite journal."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logs (-vv: debug)."),
) -> None:
    configure_logging(verbose)
    ctx.obj = Application.from_options(state_dir, profile, state)
    # Signals become stop requests for the whole command (drctl/core/interrupt.py).
    ctx.with_resource(stops_from_signals(ctx.obj.interrupt, held=_still_stopping))


def _still_stopping(request: StopRequest) -> None:
    Console(stderr=True, highlight=False).print(
        f"already stopping ({request.reason}): letting the cleanup finish …")


app.command("failover")(failover_cmd.failover)
app.command("plan")(failover_cmd.plan)
app.command("reprotect")(reprotect_cmd.reprotect)
app.command("validate")(validate_cmd.validate)
app.command("approve")(approve_cmd.approve)
app.command("reject")(approve_cmd.reject)
app.command("iam-policy")(iam_cmd.iam_policy)
app.command("report")(report_cmd.report)
app.add_typer(runs_app, name="runs")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(chaos_app, name="chaos")
app.add_typer(drill_app, name="drill")
app.add_typer(runbook_app, name="runbook")
app.command("controller")(controller_cmd.controller)
app.add_typer(schedule_app, name="schedule")


def main() -> None:
    """Entry point: every DrctlError becomes its message, its hint and its exit code."""
    try:
        app(standalone_mode=True)
    except DrctlError as exc:
        err = Console(stderr=True, highlight=False)
        err.print(f"[red]error:[/] {exc.message}", markup=True, soft_wrap=True)
        if exc.hint:
            err.print(f"[dim]hint:[/] {exc.hint}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted; the run is journaled (see `drctl runs list`)")
        sys.exit(130)
