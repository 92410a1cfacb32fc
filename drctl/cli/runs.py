"""`drctl runs list|show`: the journal, for people and machines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from drctl.cli.options import JsonOpt, app_of
from drctl.cli.output import check_writable, emit, render_run_summary
from drctl.cli.render import print_json, render_run, render_runs
from drctl.core.errors import InvalidInput
from drctl.core.operator import ConsoleOperator
from drctl.core.store import list_summaries, load_run
from drctl.failover.recovery import abort_leaves, confirm_abort

RUN_FORMATS = ("table", "json", "md", "html")

# The kinds drctl journals; a kind found in the journal is accepted too (newer drctl).
KINDS = ("failover", "reprotect", "drill", "chaos", "runbook")

runs_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Runs in the journal: failovers, drills, runbooks, experiments.",
                       no_args_is_help=True)


@runs_app.command("list")
def list_(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, "--kind",
                                    help="failover, reprotect, drill, chaos, runbook"),
    playbook: str | None = typer.Option(None, "--playbook-name", metavar="NAME",
                                        help="Only runs of the playbook with this name."),
    since: datetime | None = typer.Option(
        None, "--since", metavar="TIME", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"],
        help="Only runs started at or after this time (with a UTC offset, e.g. "
             "2026-12-01T00:00:00+00:00)."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many runs."),
    json_out: bool = JsonOpt,
) -> None:
    """List runs, newest first, from their summaries. A run whose process died shows as
    `interrupted`.

    `--json`: an array of run objects with `run_id, kind, status, started_at, ended_at,
    playbook, playbook_path, target, rto_seconds, rto_target_seconds, rto_met, rpo_seconds,
    rpo_target_seconds, rpo_met, targets_met, verdict, trigger, error, line, owner` and the
    summary's `version`.
    """
    app = app_of(ctx)
    summaries = list_summaries(app.store, kind, since, playbook, limit)
    if kind is not None and not summaries and kind not in KINDS:
        raise InvalidInput(f"--kind {kind!r} is not a kind of run",
                           hint=f"kinds: {', '.join(KINDS)}")
    if json_out:
        print_json([summary.to_dict() for summary in summaries])
    else:
        render_runs(app.console, summaries)


@runs_app.command("show")
def show(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    json_out: bool = JsonOpt,
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, md (for the "
                            "incident channel or a ticket) or html (one self-contained file "
                            "with the run's timeline)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write md/html to this file."),
) -> None:
    """Show one run: its steps with timings, and RTO/RPO against targets.

    `--format md|html` adds its summary: targets met or missed, the slowest step and any
    regression against the previous runs of its kind.
    """
    app = app_of(ctx)
    if fmt not in RUN_FORMATS:
        raise InvalidInput(f"--format {fmt!r}: use one of {', '.join(RUN_FORMATS)}")
    if out is not None and fmt not in ("md", "html"):
        raise InvalidInput("--out writes --format md or html")
    check_writable(out)
    if json_out and fmt in ("md", "html"):  # as `drctl report`: never silently pick one
        raise InvalidInput(f"--json and --format {fmt} ask for two formats: give one "
                           "(--json is --format json)")
    run = load_run(app.store, run_id)
    if json_out or fmt == "json":
        print_json(run.to_dict())
    elif fmt in ("md", "html"):
        emit(app.console, render_run_summary(app.store, run, app.clock.now(), fmt), out)
    else:
        render_run(app.console, run)


@runs_app.command("abort")
def abort(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    reason: str = typer.Option(..., "--reason", help="Why; recorded in the journal."),
    force: bool = typer.Option(
        False, "--force", help="End it without asking: also a failover that changed the "
                               "estate, or a run whose process was on another host that is "
                               "gone."),
    json_out: bool = JsonOpt,
) -> None:
    """End an unfinished run on purpose (e.g. an interrupted failover you will not resume),
    or a failed failover that still holds its playbook's lock.

    A failover that already changed the estate (switched DNS, scaled) is left as it is:
    what that leaves, and the commands that finish or roll back the job, are printed and
    journaled; at a terminal you type `abort` to confirm, without one pass --force.
    Refused (exit 4) while the run's process is alive (its pid on this host, or a lease it
    still renews); a process on another host that holds no lease cannot be checked, so --force
    says it is gone. The run's locks and lease are released.
    """
    app = app_of(ctx)
    app.json_output = json_out
    engine = app.engine([])
    run = engine.abortable(run_id, force=force)
    leaves = abort_leaves(run) if run.kind == "failover" else None
    if leaves:
        app.console.print(f"run {run.run_id}: {leaves['changed']}; {leaves['left']}.\n"
                          f"then: {leaves['resume']}; {leaves['roll_back']}", markup=False,
                          soft_wrap=True)  # commands to copy: never broken across lines
        if not force:
            confirm_abort(ConsoleOperator(), run, reason)
    run = engine.abort(run.run_id, reason, force=force, leaves=leaves)
    if json_out:
        print_json(run.to_dict())
    else:
        app.console.print(f"run {run.run_id} aborted: {reason}", markup=False)
