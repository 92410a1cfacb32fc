"""`drctl failover` and `drctl plan`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import typer
from rich.markup import escape

from drctl.cli.app import Application
from drctl.cli.options import JsonOpt, PlaybookOpt, app_of
from drctl.cli.render import ProgressRenderer, print_json, render_run
from drctl.core.clock import parse_iso
from drctl.core.errors import DrctlError, InvalidInput
from drctl.core.operator import ConsoleOperator
from drctl.failover.runner import plan_failover, resolve_spec, run_failover
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.notify.channels import build_channels
from drctl.playbook.loader import load_playbook
from drctl.store.base import list_runs


def _spec(app: Application, playbook_path: str, region: str, options: FailoverOptions
          ) -> tuple[FailoverSpec, FailoverDeps, list[str]]:
    playbook = load_playbook(playbook_path)
    env = dict(os.environ)
    deps = FailoverDeps(
        aws=app.aws, clock=app.clock, operator=ConsoleOperator(),
        channels=lambda target: build_channels(playbook.notify, app.aws, target, env,
                                               console=_plain(app)),
    )
    spec, active = resolve_spec(playbook, playbook_path, region, deps, options)
    return spec, deps, active


def _plain(app: Application) -> Callable[[str], None]:
    """Print text as is (a notification may contain [brackets] that are not markup)."""
    console = app.console
    return lambda text: console.print(text, markup=False)


def _incident_start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise InvalidInput(f"--incident-start {text!r} is not an ISO 8601 time") from None


def failover(
    ctx: typer.Context,
    region: str = typer.Option(..., "--region", "-r", help="The region to fail over TO."),
    playbook: str = PlaybookOpt,
    yes: bool = typer.Option(False, "--yes", "-y", help="Skip the operator's confirmation."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    incident_start: str | None = typer.Option(
        None, "--incident-start", help="When the incident began (ISO 8601); default: alarms."),
    json_out: bool = JsonOpt,
) -> None:
    """Fail over to REGION: detect, confirm, switch_dns, scale_secondary, smoke_test, notify.

    Exit codes: 0 done, 1 failed, 2 invalid input, 3 not confirmed, 4 blocked.
    """
    app = app_of(ctx)
    app.json_output = json_out
    options = FailoverOptions(yes=yes, incident_start=_incident_start(incident_start))
    spec, deps, active = _spec(app, playbook, region, options)
    if dry_run:
        _show_plan(app, spec, deps, active, json_out)
        return
    engine = app.engine([ProgressRenderer(app.console)])
    try:
        run = run_failover(spec, deps, engine)
    except DrctlError:
        if json_out:
            print_json(list_runs(app.store, "failover", limit=1)[0].to_dict())
        raise
    if json_out:
        print_json(run.to_dict())
    else:
        render_run(app.console, run)


def plan(
    ctx: typer.Context,
    region: str = typer.Option(..., "--region", "-r", help="The region to fail over TO."),
    playbook: str = PlaybookOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Show every change a failover to REGION would make, read live. Touches nothing."""
    app = app_of(ctx)
    app.json_output = json_out
    spec, deps, active = _spec(app, playbook, region, FailoverOptions())
    _show_plan(app, spec, deps, active, json_out)


def _show_plan(app: Application, spec: FailoverSpec, deps: FailoverDeps, active: list[str],
               json_out: bool) -> None:
    result = plan_failover(spec, deps, active)
    if json_out:
        print_json(result.to_dict())
        return
    console = app.console
    console.print(f"[bold]Failover plan[/]: {spec.playbook.name}, traffic "
                  f"{spec.failed_region} -> {spec.target_region} (active now: {', '.join(active)})")
    for change in result.changes:
        console.print(f"  {change.step:16} {change.action} {escape(change.target)} "
                      f"in {change.region}: {change.before} -> {change.after}")
    console.print("  then: smoke tests against "
                  f"{spec.endpoint}, notify {len(spec.playbook.notify)} channel(s)")
    console.print("[dim]nothing was changed[/]")
