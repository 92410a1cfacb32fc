"""`drctl schedule list|run|pause|resume`: the playbooks' schedules, by hand."""

from __future__ import annotations

import shlex

import typer
from rich.markup import escape
from rich.table import Table

from drctl.cli.app import DEFAULT_PLAYBOOK, Application
from drctl.cli.options import JsonOpt, app_of
from drctl.cli.render import ProgressRenderer, print_json, render_run
from drctl.controller import manual
from drctl.controller.build import live_lags, schedule_views
from drctl.controller.playbooks import load_served
from drctl.controller.runners import RunContext, runners
from drctl.controller.state import ScheduleState
from drctl.core.errors import Blocked, DrctlError
from drctl.store.base import load_run

schedule_app = typer.Typer(
    rich_markup_mode="markdown", no_args_is_help=True,
    help="The playbook's `schedules:` -- what `drctl controller` runs, and when.")

PlaybooksOpt = typer.Option(
    [DEFAULT_PLAYBOOK], "--playbook", "-p", show_default=True,
    help="Playbook file, or a directory of them; repeat for several.")
NameArg = typer.Argument(..., help="Schedule name (or PLAYBOOK/NAME).")


@schedule_app.command("list")
def list_(ctx: typer.Context, playbook: list[str] = PlaybooksOpt, json_out: bool = JsonOpt
          ) -> None:
    """Every schedule: its trigger, next fire, last run and result, and whether it is paused.

    A fire the controller found later than its misfire grace shows as result `missed`."""
    app = app_of(ctx)
    served = load_served(playbook)
    views = schedule_views(served.jobs, ScheduleState(app.store), app.clock.now())
    lags = live_lags(served, app.aws, app.clock)
    if json_out:
        print_json({"schedules": [v.to_dict() for v in views], "problems": served.problems,
                    "replication_lag": lags})
        return
    table = Table()
    for column in ("schedule", "runs", "trigger", "next fire", "last result", "last run"):
        table.add_column(column)
    for view in views:
        data = view.to_dict()
        last = data["last"] or {}
        paused = data["paused"]
        next_fire = f"paused: {paused['reason']}" if paused else data["next_fire"] or "-"
        table.add_row(escape(view.job.key), escape(f"{data['kind']} {data['what']}"),
                      escape(data["trigger"]), escape(next_fire),
                      escape(f"{last.get('result', '-')} {last.get('detail', '')}".strip()),
                      _last_run(last))
    app.console.print(table)
    for problem in served.problems:
        app.console.print(f"[red]not served:[/] {escape(problem)}")
    for lag in lags:
        app.console.print(f"replication lag {escape(lag['playbook'])} {lag['from']} -> "
                          f"{lag['to']}: {lag['seconds']}s (heartbeat item, now)")


@schedule_app.command("run")
def run(ctx: typer.Context, name: str = NameArg, playbook: list[str] = PlaybooksOpt,
        json_out: bool = JsonOpt) -> None:
    """Run a schedule's chaos experiment or drill now, outside its timing, through the same
    guards (a pause, its windows, then the run's pre-flight); journaled with
    `trigger.manual: true`.

    Exit codes: 0 passed; 1 failed or deviated; 2 unknown schedule; 4 skipped by a guard."""
    app = app_of(ctx)
    app.json_output = json_out
    served = load_served(playbook)
    job = manual.find_job(served.jobs, name, listing(playbook))
    context = RunContext.of(app, served.playbooks)
    renderer = ProgressRenderer(app.console)
    result = manual.run_now(job, runners(context)[job.schedule.kind], ScheduleState(app.store),
                            app.engine([]), [renderer])
    _show(app, result.run_id, result.result, result.detail)
    if result.result in ("skipped", "aborted"):
        resume = schedule_command(playbook, "resume", job.key, state=app.state_url)
        raise Blocked(f"{job.key}: {result.result}: {result.detail}",
                      hint=f"`{resume}` first, if it should run now"
                      if result.detail.startswith("paused by ") else None)
    if result.result != "passed":
        raise DrctlError(f"{job.key}: {result.result}: {result.detail}")


def _show(app: Application, run_id: str | None, result: str, detail: str) -> None:
    run = load_run(app.store, run_id) if run_id else None
    if app.json_output:
        print_json(run.to_dict() if run else {"result": result, "detail": detail})
        return
    if run is not None:
        render_run(app.console, run)
    app.console.print(f"result: [bold]{result}[/] {escape(detail)}")


@schedule_app.command("pause")
def pause(ctx: typer.Context, name: str = NameArg,
          reason: str = typer.Option(..., "--reason", help="Why; shown by `schedule list`."),
          playbook: list[str] = PlaybooksOpt, json_out: bool = JsonOpt) -> None:
    """Stop a schedule from firing (on every controller sharing this store) until resumed.
    Fires that fall in the pause are not caught up later."""
    app = app_of(ctx)
    job = manual.find_job(load_served(playbook).jobs, name, listing(playbook))
    record, run_id, previous = manual.pause(ScheduleState(app.store), app.engine([]), job,
                                            reason, app.clock.now())
    if json_out:
        print_json({"schedule": job.key, "paused": True, "run_id": run_id, **record.__dict__,
                    "was": previous.__dict__ if previous else None})
    else:
        again = schedule_command(playbook, "resume", job.key, state=app.state_url)
        replaced = f"; it replaces the pause {previous.describe()}" if previous else ""
        app.console.print(f"{escape(job.key)} {escape(record.describe())}{escape(replaced)} "
                          f"(`{escape(again)}` to let it fire again)",
                          soft_wrap=True)  # the command on one line


@schedule_app.command("resume")
def resume(ctx: typer.Context, name: str = NameArg, playbook: list[str] = PlaybooksOpt,
           json_out: bool = JsonOpt) -> None:
    """Let a paused schedule fire again, from its next fire after now."""
    app = app_of(ctx)
    job = manual.find_job(load_served(playbook).jobs, name, listing(playbook))
    previous, run_id = manual.resume(ScheduleState(app.store), app.engine([]), job,
                                     app.clock.now())
    if json_out:
        print_json({"schedule": job.key, "paused": False, "run_id": run_id,
                    "was": previous.__dict__ if previous else None})
    elif previous is None:
        app.console.print(f"{escape(job.key)} was not paused")
    else:
        app.console.print(f"{escape(job.key)} resumed (was {escape(previous.describe())})")


def _last_run(last: dict[str, str]) -> str:
    if not last:
        return "-"
    return f"{last.get('run_id') or '-'}\n[dim]fired {last.get('fire_time')}[/]"


def listing(playbook: list[str]) -> str:
    """`drctl schedule list` for the playbooks given (a hint that lists the same schedules)."""
    return schedule_command(playbook, "list")


def schedule_command(playbook: list[str], *words: str, state: str | None = None) -> str:
    """`drctl schedule WORDS` on the playbooks (and the --state store) given: a hint that acts
    on the same schedule as the command that prints it."""
    given = playbook if playbook != [DEFAULT_PLAYBOOK] else []
    return shlex.join(["drctl", *(["--state", state] if state else []), "schedule", *words,
                       *(arg for path in given for arg in ("--playbook", path))])
