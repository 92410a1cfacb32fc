"""`drctl runbook …`: list, lint, run, ack, resume, timeline and export on-call runbooks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import typer
import yaml
from rich.markup import escape

from drctl.cli.after_run import runbook_after_run
from drctl.cli.app import DEFAULT_PLAYBOOK, Application
from drctl.cli.failure import EXIT_INTERRUPTED
from drctl.cli.options import JsonOpt, app_of
from drctl.cli.render import print_json, render_run
from drctl.cli.runbook_render import RunbookRenderer, render_plan
from drctl.core.crashpoints import crash_subscriber
from drctl.core.engine import Subscriber
from drctl.core.errors import DrctlError, InvalidInput
from drctl.core.operator import ConsoleOperator
from drctl.core.run import Run
from drctl.failover.approval import current_person
from drctl.runbook.ack import acknowledge
from drctl.runbook.catalog import DEFAULT_DIR, catalog, runbook_files
from drctl.runbook.export_ssm import export_ssm
from drctl.runbook.lint import LintReport, lint_runbook, scheduled_runbooks
from drctl.runbook.load import load_runbook
from drctl.runbook.params import parse_assignments, resolve_params
from drctl.runbook.plan import dry_run as dry_run_plan
from drctl.runbook.runner import KIND, RunbookDeps, resume_runbook, start_runbook
from drctl.runbook.service import build_deps
from drctl.runbook.source import Problem
from drctl.runbook.timeline import build_timeline, to_csv, to_markdown
from drctl.store.base import load_run

runbook_app = typer.Typer(
    rich_markup_mode="markdown", no_args_is_help=True,
    help="On-call runbooks: Markdown (or YAML) whose ```drctl blocks the engine executes, "
         "with acknowledgements, approvals, resume and an audit trail.")

DirOpt = typer.Option(DEFAULT_DIR, "--dir", help="Folder of runbooks.", show_default=True)


@runbook_app.command("list")
def list_(ctx: typer.Context, folder: Path = DirOpt, json_out: bool = JsonOpt) -> None:
    """List the runbooks in a folder: id, title, owner, when last validated, lint problems."""
    app = app_of(ctx)
    entries = catalog(folder)
    if json_out:
        print_json([e.to_dict() for e in entries])
        return
    for entry in entries:
        problems = f"  [red]{entry.errors} lint error(s)[/]" if entry.errors else ""
        app.console.print(f"[bold]{escape(entry.id or '?')}[/]  {escape(entry.title)}  "
                          f"[dim]{entry.steps} steps · owner {escape(entry.owner or '-')} · "
                          f"validated {entry.last_validated or 'never'} · "
                          f"{escape(str(entry.path))}[/]{problems}")
    if not entries:
        app.console.print(f"no runbooks in {escape(str(folder))}")


@runbook_app.command("lint")
def lint(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, help="Runbook files (default: every runbook "
                                       "in --dir)."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 2)."),
    playbook: Path | None = typer.Option(
        None, "--playbook", "-p", help="Its `schedules:` say which runbooks the controller "
        f"runs unattended.  [default: {DEFAULT_PLAYBOOK} when it exists]"),
    folder: Path = DirOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Check runbooks before anyone needs them: each problem as `file:line`.

    Catches unknown actions and fields, bad YAML in a block, duplicate ids, templates naming
    a param or output that does not exist, `goto` to a missing step, `shell` without
    `allow_shell`, APIs AWS does not have, a scheduled runbook that would wait for a person,
    and (a warning) `last_validated` older than 90 days. Exit 2 on any error (or warning,
    with --strict).
    """
    app = app_of(ctx)
    book = _playbook(playbook)
    scheduled = scheduled_runbooks(book) if book else set()
    files = list(paths) if paths else runbook_files(folder)
    reports = [_lint_one(path, path.resolve() in scheduled) for path in files]
    failed = any(r.failed(strict) for r in reports)
    if json_out:
        print_json({"ok": not failed, "runbooks": [
            {"path": str(r.path), "problems": [p.to_dict() for p in r.problems]}
            for r in reports]})
    else:
        for report in reports:
            for problem in report.problems:
                colour = "red" if problem.severity == "error" else "yellow"
                app.console.print(f"[{colour}]{escape(str(problem))}[/]")
        verdict = "[red]problems found[/]" if failed else "[green]ok[/]"
        app.console.print(f"{len(reports)} runbook(s) checked: {verdict}")
    if failed:
        raise typer.Exit(2)


def _playbook(given: Path | None) -> Path | None:
    if given is not None:
        if not given.is_file():
            raise InvalidInput(f"{given}: no such playbook")
        return given
    default = Path(DEFAULT_PLAYBOOK)
    return default if default.is_file() else None


def _lint_one(path: Path, scheduled: bool) -> LintReport:
    try:
        return lint_runbook(path, scheduled=scheduled)
    except InvalidInput as exc:  # unreadable, or not a runbook at all: one problem of its own
        return LintReport(path, None, [Problem(f"{path}:1", exc.message.removeprefix(
            f"{path}: "))])


PlaybookOpt = typer.Option(
    None, "--playbook", "-p", help="Notify channels, approval rules and RTO/RPO targets come "
    f"from it unless the runbook's front matter says.  [default: {DEFAULT_PLAYBOOK}]")
ParamOpt = typer.Option(None, "--param", "-P", metavar="NAME=VALUE",
                        help="A runbook param (repeatable); typed as its front matter says.")


def _deps(app: Application, playbook: str | None) -> RunbookDeps:
    console = app.console
    return build_deps(app, playbook or DEFAULT_PLAYBOOK, ConsoleOperator(),
                      explicit=playbook is not None,
                      console=lambda text: console.print(text, markup=False, soft_wrap=True))


def _finish(app: Application, json_out: bool, work: Callable[[], Run],
            renderer: RunbookRenderer | None) -> None:
    """Run `work`; print the run (JSON, or its table), also when it failed (then re-raise)."""
    try:
        run = work()
    except KeyboardInterrupt:
        if renderer is None or not renderer.run_id:
            raise
        if json_out:
            print_json(load_run(app.store, renderer.run_id).to_dict())
        raise RunbookInterrupted(renderer.run_id) from None
    except DrctlError as exc:
        if json_out and exc.run_id:
            print_json(load_run(app.store, exc.run_id).to_dict())
        elif exc.run_id:
            app.console.print(f"[dim]see `drctl runbook timeline {exc.run_id}`[/]")
        raise
    if json_out:
        print_json(run.to_dict())
    else:
        render_run(app.console, run)


class RunbookInterrupted(DrctlError):
    """Ctrl-C or SIGTERM during a run: journaled, to be resumed (or ended on purpose)."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, run_id: str) -> None:
        super().__init__(f"runbook run {run_id} stopped; it is journaled",
                         hint=f"continue it with `drctl runbook resume {run_id}`, or end it "
                              f"with `drctl runs abort {run_id} --reason 'not resuming'`")


@runbook_app.command("run")
def run(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The runbook (.md or .runbook.yaml)."),
    params: list[str] = ParamOpt,
    dry_run: bool = typer.Option(False, "--dry-run", help="Render every step and say which "
                                 "would change things; change nothing (read-only AWS calls "
                                 "run, so later steps resolve)."),
    playbook: str | None = PlaybookOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Execute a runbook step by step, journaled like a failover.

    Asks only at `manual` and `approve` steps. At a terminal a `manual` step asks there
    (or `drctl runbook ack RUN_ID` from another shell answers), for as long as its `timeout`
    (4h by default). Without a terminal it waits as long (status `waiting`, notify channels
    told) for `drctl runbook ack RUN_ID`; an `approve`
    step waits for `drctl approve RUN_ID` by another person. After Ctrl-C, SIGKILL or a
    dropped session: `drctl runbook resume RUN_ID`.

    Exit codes: 0 done, 1 a step failed, 2 invalid runbook or params (nothing run),
    3 not acknowledged/approved or aborted, 4 blocked.
    """
    app = app_of(ctx)
    app.json_output = json_out
    app.playbook_path = playbook  # its `state:` names the store (None: the default's)
    book = load_runbook(path)
    given = parse_assignments(params or [])
    if dry_run:
        plan = dry_run_plan(book, given, app.aws, app.clock.now())
        if json_out:
            print_json({"runbook": book.meta.id, "dry_run": True,
                        "steps": [step.to_dict() for step in plan]})
        else:
            render_plan(app.console, book, plan)
        return
    deps = _deps(app, playbook)
    resolve_params(book, given)  # a bad param is exit 2 before a run exists
    renderer = RunbookRenderer(app.console, book)
    engine = app.engine([renderer, *_crash(), runbook_after_run(app, deps, book)])
    _finish(app, json_out, lambda: start_runbook(book, given, deps, engine), renderer)


@runbook_app.command("resume")
def resume(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The runbook run (a unique prefix is enough)."),
    rerun: list[str] = typer.Option(None, "--rerun", metavar="STEP", help="A step that was "
                                    "started but not finished: run it again (you checked)."),
    done: list[str] = typer.Option(None, "--done", metavar="STEP", help="A step that was "
                                   "started but not finished: it did happen, do not repeat."),
    takeover: bool = typer.Option(False, "--takeover", help="The run's process was on another "
                                  "host that is gone: take the run over."),
    playbook: str | None = PlaybookOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Continue a runbook run after Ctrl-C, SIGKILL or a dropped session.

    Succeeded steps are never repeated. A step started but never journaled as done runs
    again only if it is read-only or has a `skip_if` guard; otherwise you are asked (exit 3
    without a terminal: check, then --rerun STEP or --done STEP). Refused (exit 2) when the
    runbook's steps changed since the run started.
    """
    app = app_of(ctx)
    app.json_output = json_out
    app.playbook_path = playbook  # its `state:` names the store the run is in
    previous = load_run(app.store, run_id)
    book = load_runbook(str(previous.params.get("runbook_path", ""))) \
        if previous.kind == KIND else None
    deps = _deps(app, playbook or str(previous.params.get("playbook_path") or "") or None)
    renderer = RunbookRenderer(app.console, book) if book else None
    ending = [runbook_after_run(app, deps, book)] if book else []
    engine = app.engine([*([renderer] if renderer else []), *_crash(), *ending])
    _finish(app, json_out, lambda: resume_runbook(
        previous.run_id, deps, engine, rerun=set(rerun or []), done=set(done or []),
        takeover=takeover), renderer)


@runbook_app.command("ack")
def ack(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run waiting at a manual step."),
    note: str = typer.Option("", "--note", help="What you did or saw; kept in the journal."),
    json_out: bool = JsonOpt,
) -> None:
    """Acknowledge the manual step a runbook run waits at (from any shell); it continues."""
    app = app_of(ctx)
    person = current_person(app.aws, app.identity)
    event = acknowledge(app.store, app.clock, run_id, person, note)
    if json_out:
        print_json({"run_id": event.run_id, "step": event.step, "by": person.to_dict(),
                    "note": note})
    else:
        app.console.print(f"acknowledged step {event.step} of run {event.run_id} as "
                          f"{person.describe()}", markup=False)


def _crash() -> list[Subscriber]:
    crash = crash_subscriber()
    return [crash] if crash is not None else []


@runbook_app.command("timeline")
def timeline(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The runbook run (a unique prefix is enough)."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, json or csv."),
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
) -> None:
    """For the post-mortem: each step, who ran or acknowledged it, when, how long, its
    outputs and notes, and RTO/RPO when the runbook measures them."""
    if fmt not in ("md", "json", "csv"):
        raise InvalidInput(f"--format {fmt!r}: use md, json or csv")
    if json_out and fmt not in ("md", "json"):
        raise InvalidInput(f"--json and --format {fmt}: give one of them")
    fmt = "json" if json_out else fmt
    app = app_of(ctx)
    app.json_output = fmt == "json"
    run = load_run(app.store, run_id)
    view = build_timeline(run, app.store.events(run.run_id))
    if fmt == "json":
        print_json(view.to_dict())
    else:
        sys.stdout.write(to_markdown(view) if fmt == "md" else to_csv(view))


@runbook_app.command("export")
def export(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The runbook (.md or .runbook.yaml)."),
    fmt: str = typer.Option(..., "--format", "-f", help="ssm: an SSM Automation document "
                            "(schemaVersion 0.3)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write here (.yaml/.yml as "
                                    "YAML, else JSON) instead of stdout."),
    json_out: bool = typer.Option(False, "--json", help="One JSON document on stdout: the "
                                  "SSM document, or with --out what was written where."),
) -> None:
    """Turn a runbook into an AWS Systems Manager Automation document.

    aws.call, aws.wait, aws.assert (equals/in), approve, manual and sleep steps map to SSM
    actions; a runbook with a step SSM cannot express (drctl, shell, http, an assert with
    `matches`, a `skip_if`) is refused (exit 2) with the list of those steps, and nothing is
    written. Register the result with `aws ssm create-document --document-type Automation`.
    """
    if fmt != "ssm":
        raise InvalidInput(f"--format {fmt!r}: the export format is ssm")
    app = app_of(ctx)
    app.json_output = json_out
    document = export_ssm(load_runbook(path))
    as_yaml = out is not None and out.suffix in (".yaml", ".yml")
    text = yaml.safe_dump(document, sort_keys=False) if as_yaml else \
        json.dumps(document, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{out}: cannot write: {exc.strerror}") from None
    if json_out:
        print_json({"path": str(out), "format": "ssm", "steps": len(document["mainSteps"])})
    else:
        app.console.print(f"wrote {escape(str(out))} ({len(document['mainSteps'])} steps)")
