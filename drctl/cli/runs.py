"""`drctl runs list|show`: the journal, for people and machines."""

from __future__ import annotations

from pathlib import Path

import typer

from drctl.cli.options import JsonOpt, app_of
from drctl.cli.output import emit, render_run_summary
from drctl.cli.render import print_json, render_run, render_runs
from drctl.core.errors import InvalidInput
from drctl.store.base import list_runs, load_run

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
    limit: int = typer.Option(50, "--limit", min=1),
    json_out: bool = JsonOpt,
) -> None:
    """List runs, newest first. A run whose process died shows as `interrupted`."""
    app = app_of(ctx)
    runs = list_runs(app.store, kind, limit)
    if kind is not None and not runs and kind not in KINDS:
        raise InvalidInput(f"--kind {kind!r} is not a kind of run",
                           hint=f"kinds: {', '.join(KINDS)}")
    if json_out:
        print_json([
            {k: r.to_dict()[k] for k in ("run_id", "kind", "status", "started_at")}
            for r in runs
        ])
    else:
        render_runs(app.console, runs)


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
        False, "--force", help="The run's process was on another host that is gone."),
    json_out: bool = JsonOpt,
) -> None:
    """End an unfinished run on purpose (e.g. an interrupted failover you will not resume).

    Refused (exit 4) while the run's process is alive (its pid on this host, or a lease it
    still renews); a process on another host that holds no lease cannot be checked, so --force
    says it is gone. The run's locks and lease are released.
    """
    app = app_of(ctx)
    run = app.engine([]).abort(run_id, reason, force=force)
    if json_out:
        print_json(run.to_dict())
    else:
        app.console.print(f"run {run.run_id} aborted: {reason}")
