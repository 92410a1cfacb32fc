"""`drctl runbook …`: list, lint, run, ack, resume, timeline and export on-call runbooks."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from drctl.cli.app import DEFAULT_PLAYBOOK
from drctl.cli.options import JsonOpt, app_of
from drctl.cli.render import print_json
from drctl.core.errors import InvalidInput
from drctl.runbook.catalog import DEFAULT_DIR, catalog, runbook_files
from drctl.runbook.lint import LintReport, lint_runbook, scheduled_runbooks
from drctl.runbook.source import Problem

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
