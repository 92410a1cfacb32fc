"""`drctl failover` and `drctl plan`: their options, and nothing heavy.

On-call reads `drctl failover --help` during an incident; importing the playbook schema
(pydantic), httpx, structlog and the failover steps for it cost 0.63 s of CPU (issue 15). So
this module declares the options and imports what a command does (drctl/cli/failover_run.py)
only when it runs. tests/unit/test_cli_lazy.py holds it to that.
"""

from __future__ import annotations

from dataclasses import dataclass

import typer

from drctl.cli.app import DEFAULT_PLAYBOOK
from drctl.cli.options import JsonOpt, PlaybookOpt, app_of


@dataclass(frozen=True)
class FailoverArgs:
    """`drctl failover`'s options, as given."""

    region: str | None
    playbook: str | None
    yes: bool = False
    dry_run: bool = False
    incident_start: str | None = None
    force: bool = False
    approval: bool = False
    wait_replication: str | None = None
    takeover: bool = False
    resume: str | None = None
    json_out: bool = False


def failover(
    ctx: typer.Context,
    region: str | None = typer.Option(
        None, "--region", "-r", help="The region to fail over TO. Required, unless --resume."),
    playbook: str | None = typer.Option(
        None, "--playbook", "-p", metavar="FILE", show_default=False,
        help=f"Failover playbook (YAML).  [default: {DEFAULT_PLAYBOOK}; with --resume: the "
             "run's own, recorded when it started — a copy elsewhere must have the same "
             "content]"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Skip the operator's confirmation."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    incident_start: str | None = typer.Option(
        None, "--incident-start", metavar="TIME",
        help="When the incident began, ISO 8601 with an offset (2026-11-30T22:00:00Z), at most "
             "7 days ago. Default: the earliest detection alarm."),
    force: bool = typer.Option(False, "--force",
                               help="Fail over despite failed pre-flight checks (journaled)."),
    approval: bool = typer.Option(False, "--approval",
                                  help="Wait for a second person's `drctl approve`."),
    wait_replication: str | None = typer.Option(
        None, "--wait-for-replication", metavar="DURATION",
        help="A planned switch (the old region is up) blocked only by replication lag waits "
             "up to DURATION (e.g. 10m) for it to catch up, then switches. At a terminal the "
             "wait is offered."),
    takeover: bool = typer.Option(
        False, "--takeover",
        help="With --resume: the run's process was on another host that is gone; take over."),
    resume: str | None = typer.Option(
        None, "--resume", metavar="RUN_ID",
        help="Continue an interrupted or failed failover from its first step not done."),
    json_out: bool = JsonOpt,
) -> None:
    """Fail over to REGION: detect, confirm, switch_dns, scale_secondary, smoke_test, notify.

    One failover per playbook at a time: a second one is refused (exit 4) naming the holder.
    A run whose process died is resumed with --resume RUN_ID (or ended with `drctl runs abort`).

    Exit codes: 0 done, 1 failed, 2 invalid input, 3 not confirmed, 4 blocked.
    """
    from drctl.cli import failover_run

    failover_run.failover(app_of(ctx), FailoverArgs(
        region, playbook, yes, dry_run, incident_start, force, approval, wait_replication,
        takeover, resume, json_out))


def plan(
    ctx: typer.Context,
    region: str = typer.Option(..., "--region", "-r", help="The region to fail over TO."),
    playbook: str = PlaybookOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Show every change a failover to REGION would make, read live. Touches nothing."""
    from drctl.cli import failover_run

    failover_run.plan(app_of(ctx), region, playbook, json_out)
