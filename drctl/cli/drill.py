"""`drctl drill` and `drctl drill cleanup`: restore drills that prove the data comes back."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from drctl.cli.after_run import after_run
from drctl.cli.app import Application
from drctl.cli.failure import Failure
from drctl.cli.options import JsonOpt, PlaybookOpt, app_of
from drctl.cli.render import ProgressRenderer, print_json, render_run
from drctl.core.clock import iso
from drctl.core.durations import parse_duration
from drctl.core.errors import DrctlError, InvalidInput, NotConfirmed
from drctl.core.figures import DrillFigures
from drctl.core.operator_time import parse_operator_time
from drctl.core.run import Run
from drctl.drill.db_check import run_command
from drctl.drill.runner import DrillOutcome, preflight_drills, run_drills
from drctl.drill.spec import KINDS, DrillDeps, DrillOptions, select_drills
from drctl.drill.sweep import sweep
from drctl.playbook.loader import load_playbook

# The longest point-in-time window AWS keeps (DynamoDB and RDS: 35 days).
PITR_WINDOW = timedelta(days=35)

# Its help is the callback's docstring.
drill_app = typer.Typer(rich_markup_mode="markdown", invoke_without_command=True)


@drill_app.callback(invoke_without_command=True)
def drill(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, "--kind", "-k",
                                    help="pitr, snapshot, cross-region (tables, databases), "
                                         "versions or replica (s3: buckets); default: every "
                                         "kind the playbook declares for the target."),
    target: str | None = typer.Option(None, "--target", "-t",
                                      help="dynamodb:TABLE, rds:INSTANCE or s3:BUCKET[/PREFIX], "
                                           "as the playbook's drills: section names it "
                                           "(default: all)."),
    at: str | None = typer.Option(None, "--at", help="pitr, versions: restore to this time, "
                                  "ISO 8601 with a UTC offset (2026-11-30T22:00:00Z); default: "
                                  "the latest restorable time (now for versions)."),
    keep: str | None = typer.Option(None, "--keep", help="Keep the validated copy this long "
                                    "(e.g. 30m) before deleting it; Ctrl-C deletes it at once."),
    playbook: str = PlaybookOpt,
    json_out: bool = typer.Option(
        False, "--json", help="Print a JSON array on stdout: one run object per drill that "
        "ran (an error before any drill ran: one {error, hint, exit_code} object)."),
) -> None:
    """Restore drills: restore into a scratch copy, validate the data, measure, delete it.

    DynamoDB: items stamped at or before the restore point must come back identical (count and
    checksum), newer ones must not; the newest stamp restored is the effective recovery point.
    RDS: a snapshot restore must match what the snapshot recorded (engine, version, storage,
    encryption and KMS key, option group; how today's source differs is shown as information)
    and the playbook's validation hook must pass. S3 `versions`: the prefix as of --at (each
    key's newest version then, delete markers honoured) into a scratch bucket, every object
    read back against the version chosen (size, SHA-256); `replica`: the replication
    destination holds every object older than the allowed lag (RPO: how far behind it was).
    RTO = restore start -> validated;
    RPO = drill start - restore point. Restored copies are tagged and always deleted, also on a
    validation failure, Ctrl-C or SIGTERM; after a SIGKILL, run `drctl drill cleanup`.

    Examples:

    * `drctl drill --kind pitr --target dynamodb:roadtrip-pois`
    * `drctl drill --kind snapshot --target rds:roadtrip-db --keep 30m --json`
    * `drctl drill --kind versions --target s3:roadtrip-media-us-east-1/media/`

    Exit codes: 0 every drill passed and met its RTO/RPO targets; 1 a drill failed
    (validation, AWS) or missed a target; 2 invalid input (unknown target, PITR off, --at
    without a UTC offset or outside the window, no snapshot, an S3 prefix empty at --at:
    nothing was created for that target; the healthy targets still run); 3 stopped (Ctrl-C,
    SIGTERM, SIGHUP): cleaned up, or stopped before anything was created; 4 another
    disruptive run (chaos, a drill) of the playbook is in progress.
    """
    if ctx.invoked_subcommand is not None:
        return
    app = app_of(ctx)
    app.json_output = json_out
    app.playbook_path = playbook  # its `state:` names the store (journal, locks)
    try:
        outcome = _run(app, playbook, DrillOptions(target, _kind(kind),
                                                   _time(at, app.clock.now()), _keep(keep)))
    except KeyboardInterrupt as exc:  # before any drill started: nothing to clean up
        raise NotConfirmed(f"drill stopped ({getattr(exc, 'reason', '') or 'Ctrl-C'}) before "
                           "it started; nothing was created") from None
    _finish(outcome, json_out)


def _run(app: Application, playbook: str, options: DrillOptions) -> DrillOutcome:
    book = load_playbook(playbook)
    specs = select_drills(book, options)
    deps = DrillDeps(app.aws, app.clock, run_command, app.http)
    ready, refused = preflight_drills(specs, deps)
    if not ready:
        raise refused[0] if len(refused) == 1 else InvalidInput(
            "no drill can run: " + "; ".join(str(r) for r in refused))
    for refusal in refused:  # reported first; the healthy drills still run
        _error_line(refusal)
    progress = ProgressRenderer(app.console)
    # Each drill is shown as it ends, beside its progress; its step errors are not repeated.
    show = None if app.json_output else \
        (lambda run: render_drill(app.console, run, progress.errors_shown))
    # A stop (Ctrl-C, SIGTERM) ends the drill's steps; its cleanup runs shielded in the engine.
    return run_drills(ready, deps, app.engine([progress, after_run(app, book)]), refused, show)


def _finish(outcome: DrillOutcome, json_out: bool) -> None:
    """The array of runs (--json), the refusals of drills that never started, the exit code.
    With --json and no drill run at all, the one document is the error (as for every
    command that ends before a run)."""
    error = outcome.error()
    unstarted = [f for f in outcome.failures if f.run_id is None]
    if json_out and not outcome.runs and error is not None:
        for failure in unstarted:
            if failure is not error:
                _error_line(failure)
        if error in outcome.refused:  # its line was printed before the drills ran
            print_json(Failure(error.message, error.hint, error.exit_code).document())
            raise typer.Exit(error.exit_code)
        raise error
    if json_out:
        print_json([r.to_dict() for r in outcome.runs])  # always an array: one per drill
    for failure in unstarted:  # refused before its run started (another disruptive run)
        _error_line(failure)
    if error is not None:  # shown once: in a run's `error`, or as an error line
        raise typer.Exit(error.exit_code)


def _error_line(error: DrctlError) -> None:
    console = Console(stderr=True, highlight=False)
    console.print(f"[red]error:[/] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        console.print(f"[dim]hint:[/] {escape(error.hint)}")


@drill_app.command("cleanup")
def cleanup(
    ctx: typer.Context,
    playbook: str = PlaybookOpt,
    foreign_grace: str = typer.Option(
        "1h", "--foreign-grace",
        help="Leave drills that are not in this journal alone until they are this old "
             "(another operator's may still be running)."),
    json_out: bool = JsonOpt,
) -> None:
    """Delete leftovers of drills that could not clean up (SIGKILL, a lost machine).

    Finds resources by their tags (drctl:managed-by=drctl-drill and drctl:drill=RUN_ID) in
    every region of the playbook; anything without both tags is never touched, whatever its
    name. Resources of a drill still running are left alone, and so are those of a drill this
    journal does not know until it is older than --foreign-grace. Exit 1 if something could
    not be deleted.
    """
    app = app_of(ctx)
    app.json_output = json_out
    app.playbook_path = playbook  # its `state:` names the journal that knows its drills
    try:
        grace = parse_duration(foreign_grace)
    except ValueError as exc:
        raise InvalidInput(f"--foreign-grace: {exc}") from None
    run = sweep(load_playbook(playbook), app.aws, app.engine([ProgressRenderer(app.console)]),
                grace)
    output: dict[str, Any] = run.step("sweep").output
    if json_out:
        print_json({**run.to_dict(), **output})
        return
    report = output.get("cleanup", {})
    for entry in report.get("deleted", []):
        app.console.print(f"deleted {entry['type']} {escape(entry['name'])} ({entry['region']})")
    for entry in output.get("skipped", []):
        app.console.print(f"left {entry['type']} {escape(entry['name'])}: {entry['reason']}")
    app.console.print(f"{len(report.get('deleted', []))} drill resource(s) deleted")


def render_drill(console: Console, run: Run, errors_shown: Collection[str] = ()) -> None:
    """A finished drill: its steps, RTO/RPO and error (each once: an error its progress
    already showed is not repeated), what was restored and how it was judged, and cleanup."""
    render_run(console, run, errors_shown)
    figures = run.figures if isinstance(run.figures, DrillFigures) else None
    # A drill that measured nothing (a fire refused, a newer drctl's journal) shows dashes.
    validation = (figures.validation if figures else None) or {}
    cleanup_ = (figures.cleanup if figures else None) or {}
    requested, used, effective = (
        (figures.requested_restore_point, iso(figures.restore_point),
         figures.effective_restore_point) if figures else (None, None, None))
    console.print(f"restore point  requested {requested or '-'}, used {used or '-'}, "
                  f"effective (newest data) {effective or '-'}")
    for line in validation_lines(validation, run.error or ""):
        console.print(line, soft_wrap=True)
    console.print(f"cleanup        {cleanup_.get('status', '-')}: "
                  f"{len(cleanup_.get('deleted', []))} deleted")


def validation_lines(validation: dict[str, Any], error: str) -> list[str]:
    """How the restore was judged. Problems the run's error already names are not repeated."""
    verdict = "[green]passed[/]" if validation.get("passed") else "[red]FAILED[/]"
    lines = [f"validation     {verdict if validation else '-'}"]
    lines += [f"               {escape(p)}" for p in validation.get("problems", [])
              if p not in error]
    if "restored_items" in validation:
        lines.append(f"               {validation['matching_items']}/"
                     f"{validation['expected_items']} items identical, checksum "
                     f"{validation['restored_checksum'][:16]}…")
    elif "restored_objects" in validation:
        lines.append(f"               {validation['matching_objects']}/"
                     f"{validation['expected_objects']} objects identical (size, SHA-256), "
                     f"checksum {validation['checksum'][:16]}…")
    elif validation.get("type") == "s3-replica":
        lines.append(f"               {validation['checked']} object(s) checked in "
                     f"{validation['replica_bucket']}, {validation['in_flight']} in flight")
    return lines + _source_differences(validation)


def _source_differences(validation: dict[str, Any]) -> list[str]:
    """RDS: how today's source differs from the restore -- information, not a failure (a
    snapshot restore is judged against what the snapshot recorded)."""
    differences = validation.get("source_differences") or {}
    if not differences:
        return []
    why = ("information: a snapshot restore is judged against what the snapshot recorded"
           if validation.get("compared_with") == "snapshot" else "information")
    lines = [f"source today   differs from the restore ({why}):"]
    lines += [f"               {escape(name)}: source today {escape(repr(d.get('source')))}, "
              f"restored {escape(repr(d.get('restored')))}" for name, d in differences.items()]
    return lines


def _kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"--kind {kind!r}: use one of {', '.join(KINDS)}")
    return kind


def _time(text: str | None, now: datetime) -> datetime | None:
    """`--at`, by the rule every operator-typed time follows (an explicit UTC offset); an
    empty `--at ""` is refused, not read as "the latest"."""
    if text is None:
        return None
    return parse_operator_time(text, option="--at", now=now, max_age=PITR_WINDOW)


def _keep(text: str | None) -> float | None:
    try:
        return parse_duration(text) if text else None
    except ValueError as exc:
        raise InvalidInput(f"--keep: {exc}") from None
