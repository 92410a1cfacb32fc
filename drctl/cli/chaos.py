"""`drctl chaos list|run|halt|resume`: Chaos Toolkit experiments with guard rails.

chaostoolkit-lib is the optional `chaos` extra: modules that need it are imported by the
commands that run or read experiments, so the rest of drctl works without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from drctl.chaos import kill_switch
from drctl.cli.after_run import after_run
from drctl.cli.app import Application
from drctl.cli.options import JsonOpt, PlaybookOpt, app_of
from drctl.cli.render import ProgressRenderer, print_json, render_run
from drctl.core.errors import Blocked, DrctlError, NotConfirmed
from drctl.playbook.loader import load_playbook

if TYPE_CHECKING:
    from drctl.chaos.runner import ChaosResult

chaos_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Chaos Toolkit experiments with guard rails and verdicts.",
                        no_args_is_help=True)


@chaos_app.command("run")
def run(
    ctx: typer.Context,
    experiment: str = typer.Argument(..., help="Experiment file (JSON or YAML)."),
    var: list[str] = typer.Option([], "--var", help="Configuration value: name[:type]=value."),
    var_file: list[str] = typer.Option([], "--var-file", help="JSON/YAML/.env variables."),
    playbook: str = PlaybookOpt,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan and the pre-flight."),
    json_out: bool = JsonOpt,
) -> None:
    """Run EXPERIMENT in its own process, with pre-flight checks and in-run guards.

    The experiment runs with your AWS credentials, and so does every command and Python
    function it names: read it (or `--dry-run`, which shows each in full) before running it.

    Exit codes: 0 passed; 1 deviated or failed; 2 invalid experiment or variables (nothing
    ran); 3 stopped by the operator (Ctrl-C, SIGTERM or SIGHUP: rollbacks run; a second
    Ctrl-C: at once); 4 skipped by pre-flight (kill switch, guard alarm, another disruptive run
    of the playbook …) or aborted by a guard or the kill switch.
    """
    _need_chaoslib()
    from drctl.chaos.experiment import load_chaos_experiment
    from drctl.chaos.plan import plan_chaos
    from drctl.chaos.runner import ChaosDeps, run_chaos

    app = app_of(ctx)
    app.json_output = json_out
    app.playbook_path = playbook  # its `state:` names the store (journal, locks, kill switch)
    try:
        loaded = load_chaos_experiment(experiment, var, var_file)
        deps = ChaosDeps(app.aws, load_playbook(playbook), app.store_url, app.profile)
    except KeyboardInterrupt as exc:  # still loading: nothing has run
        raise NotConfirmed(f"stopped ({getattr(exc, 'reason', '') or 'Ctrl-C'}) before the "
                           "experiment started; nothing was run") from None
    if dry_run:
        _show_plan(app, plan_chaos(loaded, deps, app.store, app.clock.now(),
                                     app.identity).to_dict())
        return
    progress = ProgressRenderer(app.console)
    result = run_chaos(loaded, deps, app.engine([progress, after_run(app, deps.playbook)]))
    _show_result(app, result, progress.errors_shown)
    error = result.outcome.error()
    if error is not None:  # its reason is shown once, with the run: exit with its code only
        raise typer.Exit(error.exit_code)


def _need_chaoslib() -> None:
    if importlib.util.find_spec("chaoslib") is None:
        raise DrctlError("chaos experiments need chaostoolkit-lib, which is not installed",
                         hint="pip install 'drctl[chaos]'")


def _show_plan(app: Application, plan: dict[str, Any]) -> None:
    if app.json_output:
        print_json(plan)
    else:
        console = app.console
        console.print(f"[bold]{escape(plan['experiment'])}[/] ({plan['experiment_path']}): "
                      f"scope {plan['scope']} in {', '.join(plan['target_regions']) or '?'}, "
                      f"rollbacks {plan['rollback_strategy']}")
        for part in ("steady_state_probes", "method", "rollbacks"):
            for activity in plan[part]:
                console.print(f"  {part:20} {activity['type']:6} {escape(str(activity['name']))}"
                              f"\n      runs: {escape(activity['runs'])}")
        for check in plan["preflight"]["checks"]:
            mark = "[green]✓[/]" if check["passed"] else "[red]✗[/]"
            console.print(f"  pre-flight {mark} {check['name']}: {escape(check['detail'])}")
        console.print("[dim]nothing was run; a run would execute the commands above with your "
                      "AWS credentials[/]")
    if not plan["preflight"]["passed"]:
        raise Blocked("pre-flight would refuse this experiment now")


def _show_result(app: Application, result: ChaosResult, errors_shown: set[str]) -> None:
    if app.json_output:
        print_json(result.run.to_dict())
        return
    render_run(app.console, result.run, errors_shown)
    colour = {"passed": "green", "deviated": "yellow"}.get(result.outcome.verdict, "red")
    # A failed run's reason is its error, which render_run has just printed.
    reason = "" if result.run.error else f" — {escape(result.outcome.reason)}"
    app.console.print(f"verdict: [bold {colour}]{result.outcome.verdict}[/]{reason}")


@chaos_app.command("list")
def list_(
    ctx: typer.Context,
    directory: Path = typer.Option(Path("experiments"), "--dir", help="Experiments directory."),
    json_out: bool = JsonOpt,
) -> None:
    """The experiments in --dir and the verdict of their last run (when they run: `drctl
    schedule list`)."""
    _need_chaoslib()
    from drctl.chaos.catalog import list_experiments

    app = app_of(ctx)
    entries = list_experiments(directory, app.store)
    if json_out:
        print_json([entry.to_dict() for entry in entries])
        return
    table = Table()
    for column in ("experiment", "scope", "regions", "last verdict", "last run"):
        table.add_column(column)
    for entry in entries:
        last = entry.last_run or {}
        title = escape(entry.title or f"[invalid] {entry.problem}")
        if entry.needs_env:
            title += escape(f"\nneeds {', '.join(entry.needs_env)} (not set in this shell)")
        table.add_row(f"{escape(entry.path)}\n[dim]{title}[/]", entry.scope or "-",
                      ", ".join(entry.target_regions) or "-",
                      str(last.get("verdict") or "-"), str(last.get("started_at") or "-"))
    app.console.print(table)


# The kill switch lives in the store: the one of the playbook the experiments run with.
KillSwitchPlaybookOpt = typer.Option(
    None, "--playbook", "-p", metavar="FILE", show_default=False,
    help="The playbook whose `state:` store holds the kill switch (the store `drctl chaos "
         "run --playbook FILE` reads it from).  [default: playbooks/roadtrip.yaml]")


@chaos_app.command("halt")
def halt(
    ctx: typer.Context,
    reason: str = typer.Option(..., "--reason", help="Why chaos must stop; shown to everyone."),
    playbook: str | None = KillSwitchPlaybookOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Engage the kill switch: no experiment starts, running ones stop at their next
    activity (rollbacks played)."""
    app = app_of(ctx)
    app.playbook_path = playbook
    switch = kill_switch.engage(app.engine([]), reason)
    if json_out:
        print_json({"halted": True, **switch.to_dict()})
    else:
        app.console.print(f"[red]chaos halted[/]: {escape(switch.reason)} "
                          "(`drctl chaos resume` to allow it again)")


@chaos_app.command("resume")
def resume(ctx: typer.Context, playbook: str | None = KillSwitchPlaybookOpt,
           json_out: bool = JsonOpt) -> None:
    """Release the kill switch."""
    app = app_of(ctx)
    app.playbook_path = playbook
    previous = kill_switch.release(app.engine([]))
    if json_out:
        print_json({"halted": False, "released": previous.to_dict() if previous else None})
    elif previous:
        app.console.print(f"chaos allowed again (was: {escape(previous.describe())})")
    else:
        app.console.print("chaos was not halted")
