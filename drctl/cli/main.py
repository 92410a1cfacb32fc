"""The `drctl` command: parse, call one core function, render, map errors to exit codes."""

from __future__ import annotations

import gc
import sys
import traceback
from typing import TYPE_CHECKING

import typer

from drctl.cli.lazy import Lazy, lazy_group

if TYPE_CHECKING:
    from drctl.app import Collaborators
    from drctl.cli.failure import Failure, TrackedStdout
    from drctl.core.interrupt import StopRequest

# Every command, in the order `drctl --help` lists them. Nothing here is imported until its
# command runs (drctl/cli/lazy.py): add a command by adding a row, with the first line of its
# docstring as `help` (tests/unit/test_cli_lazy.py checks they agree).
COMMANDS = [
    Lazy("failover", "drctl.cli.failover:failover",
         "Fail over to REGION: detect, confirm, switch_dns, scale_secondary, smoke_test, notify."),
    Lazy("plan", "drctl.cli.failover:plan",
         "Show every change a failover to REGION would make, read live."),
    Lazy("reprotect", "drctl.cli.reprotect:reprotect",
         "Re-protect REGION after a failover or failback: replicate the current primary into it."),
    Lazy("validate", "drctl.cli.validate:validate",
         "Check a playbook: unknown keys, types, durations (file:line), then that every resource "
         "it names exists in AWS."),
    Lazy("approve", "drctl.cli.approve:approve",
         "Approve a failover that waits at `confirm` for a second person."),
    Lazy("reject", "drctl.cli.approve:reject",
         "Reject a failover that waits for approval: it ends as aborted (exit 3 for its "
         "operator)."),
    Lazy("iam-policy", "drctl.cli.iam:iam_policy",
         "Print the least-privilege IAM policy (JSON) a failover with PLAYBOOK needs."),
    Lazy("report", "drctl.cli.report:report",
         "RTO and RPO per playbook and kind: runs, pass rate, last/p50/p90/worst against the "
         "targets"),
    Lazy("runs", "drctl.cli.runs:runs_app",
         "Runs in the journal: failovers, drills, runbooks, experiments."),
    Lazy("sandbox", "drctl.cli.sandbox:sandbox_app",
         "The embedded AWS sandbox (moto) with the Roadtrip estate."),
    Lazy("chaos", "drctl.cli.chaos:chaos_app",
         "Chaos Toolkit experiments with guard rails and verdicts."),
    Lazy("drill", "drctl.cli.drill:drill_app",
         "Restore drills: restore into a scratch copy, validate the data, measure, delete it."),
    Lazy("runbook", "drctl.cli.runbook:runbook_app",
         "On-call runbooks: Markdown (or YAML) whose ```drctl blocks the engine executes"),
    Lazy("controller", "drctl.cli.controller:controller",
         "Run the controller in the foreground: every playbook's schedules (chaos experiments "
         "and drills)"),
    Lazy("schedule", "drctl.cli.schedule:schedule_app",
         "The playbook's `schedules:` -- what `drctl controller` runs, and when."),
]

app = typer.Typer(
    name="drctl",
    cls=lazy_group(COMMANDS),
    help="Disaster recovery and chaos engineering for AWS: failovers, drills, chaos, runbooks.\n\n"
    "Exit codes: 0 done · 1 failed · 2 invalid input · 3 not confirmed, or stopped with "
    "nothing left to resume (a drill cleaned up, an experiment rolled back) · 4 blocked · "
    "130 interrupted, a run left to resume or abort (a failover, a runbook).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        sys.stdout.write(f"drctl {version('drctl')}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    state_dir: str | None = typer.Option(
        None, "--state-dir", envvar="DRCTL_STATE_DIR",
        help="Where the journal and the sandbox's files live.  [default: the journal in "
             "$XDG_STATE_HOME/drctl (~/.local/state/drctl), the same wherever you run drctl; "
             "the sandbox in ./.drctl]"),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile to use."),
    state: str | None = typer.Option(
        None, "--state", envvar="DRCTL_STATE", metavar="dynamodb://TABLE?region=R",
        help="Share runs, locks and approvals in a DynamoDB table instead of the local "
             "SQLite journal."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, metavar="",
                                help="More logs: -v info, -vv debug (repeat the flag)."),
    log_json: bool = typer.Option(
        False, "--log-json", help="Logs on stderr as JSON lines (for a log shipper) instead "
                                  "of lines for people."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print drctl's version and exit."),
) -> None:
    from drctl.cli import early_signals
    from drctl.cli.app import Application
    from drctl.cli.logs import configure_logging
    from drctl.cli.signals import stops_from_signals
    from drctl.core.errors import NotConfirmed

    configure_logging(verbose, json_lines=log_json)
    given = ctx.obj
    ctx.obj = Application.from_options(state_dir, profile, state)
    if given is not None:
        ctx.obj.use(given)
    # Signals become stop requests for the whole command (drctl/core/interrupt.py).
    ctx.with_resource(stops_from_signals(ctx.obj.interrupt, held=_still_stopping))
    stopped = early_signals.take()  # while drctl was starting: nothing has begun
    if stopped is not None:
        raise NotConfirmed(f"stopped ({stopped}) while drctl was starting; nothing was started")


def _still_stopping(request: StopRequest) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False).print(
        f"received {request.reason} (stop request {request.number}): what is running ends as "
        "safely as it can …")


def main() -> None:
    """Entry point: every error becomes one clear message, its hint and its exit code."""
    code = run(sys.argv[1:])
    # What is alive now lives until exit: frozen, the interpreter's collections at shutdown
    # skip it. Without this, exiting (after Ctrl-C too) cost 10+ s of garbage collection
    # over boto3's service models on a busy machine -- a Ctrl-C that seemed to hang.
    gc.freeze()
    sys.exit(code)


def run(argv: list[str], given: Collaborators | None = None) -> int:
    """Run drctl with `argv`; returns the exit code. Never lets a traceback reach the user.
    `given`: collaborators to use instead of building them (in-process tests with fakes)."""
    from drctl.cli.failure import EXIT_INTERRUPTED, Failure, TrackedStdout, wants_json
    from drctl.core.errors import DrctlError

    json_out = wants_json(argv)
    stdout = TrackedStdout(sys.stdout)
    sys.stdout = stdout
    try:
        result = app(args=argv, prog_name="drctl", standalone_mode=False, obj=given)
    except DrctlError as exc:
        return _fail(Failure(exc.message, exc.hint, exc.exit_code), json_out, stdout)
    except typer.Abort:
        return _fail(Failure("aborted at a prompt; nothing was changed", None, 3), json_out,
                     stdout)
    except typer.TyperException as exc:  # usage: unknown option, missing value, bad choice
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return _fail(Failure(message, _usage_hint(argv, exc), int(getattr(exc, "exit_code", 2))),
                     json_out, stdout)
    except Exception as exc:  # a bug: say so in one line, the traceback only with -vv
        if _verbosity(argv) >= 2:
            traceback.print_exc()
        return _fail(Failure(f"unexpected {type(exc).__name__}: {exc}",
                             "this is a bug in drctl; run again with -vv to see where", 1),
                     json_out, stdout)
    finally:
        sys.stdout = stdout._stream
    code = result if isinstance(result, int) else 0
    if code == EXIT_INTERRUPTED:
        _fail(Failure("interrupted; the run is journaled", "see `drctl runs list`: resume or "
                      "abort an interrupted failover", EXIT_INTERRUPTED), json_out, stdout)
    return code


def _fail(failure: Failure, json_out: bool, stdout: TrackedStdout) -> int:
    from drctl.cli.failure import report

    report(failure, json_out, stdout)
    return failure.exit_code


def _verbosity(argv: list[str]) -> int:
    return sum(a.count("v") for a in argv if a.startswith("-v") and set(a[1:]) == {"v"}) + \
        argv.count("--verbose")


def _usage_hint(argv: list[str], exc: Exception) -> str:
    # The command that refused the input, not the first words of argv: those may be option
    # values (`drctl validate --playbook big.yaml` is not `drctl validate big.yaml --help`).
    path = getattr(getattr(exc, "ctx", None), "command_path", None)
    if isinstance(path, str) and path:
        return f"see `{path} --help`"
    words = [a for a in argv if not a.startswith("-")][:2]
    return f"see `drctl {' '.join(words)} --help`".replace("  ", " ")
