"""`drctl report`: RTO/RPO evidence over many runs, for people, machines, tickets and auditors."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from drctl.cli.app import DEFAULT_PLAYBOOK
from drctl.cli.options import app_of
from drctl.cli.output import check_writable, write_output
from drctl.core.durations import parse_duration
from drctl.core.errors import DrctlError, InvalidInput
from drctl.core.operator_time import parse_operator_time
from drctl.report.model import Filters, Report, report_from_store
from drctl.report.regressions import RegressionRule

if TYPE_CHECKING:
    from drctl.playbook.schema import Playbook

KINDS = ("failover", "drill", "chaos", "runbook")
FORMATS = ("table", "json", "md", "html")
SINCE_FORMS = ("a duration back from now (30d, 12h, 90m, 1d12h) or an ISO 8601 time with a "
               "UTC offset (2026-11-01T00:00:00Z)")


def report(
    ctx: typer.Context,
    since: str = typer.Option("30d", "--since", help="How far back: a duration counted back "
                              "from now (30d, 12h, 1d12h) or an ISO 8601 time with a UTC "
                              "offset (2026-11-01T00:00:00Z)."),
    kind: str | None = typer.Option(None, "--kind", help="failover, drill, chaos or runbook "
                                    "(default: all)."),
    playbook: str | None = typer.Option(None, "--playbook", "-p", help="Only this playbook: "
                                        "its name, or its YAML file."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="table (the default), json, "
                                   "md or html; with --out FILE.html/.md/.json and no "
                                   "--format, the file's suffix."),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this "
                                    "file instead of stdout (html: one self-contained file)."),
    factor: float = typer.Option(2.0, "--regression-factor", min=1.0, help="Flag a run (or "
                                 "step) slower than this many times the p50 of the previous "
                                 "runs of its kind ..."),
    margin: str = typer.Option("5s", "--regression-margin", help="... and slower by more "
                               "than this."),
    json_out: bool = typer.Option(False, "--json", help="Same as --format json (with another "
                                  "--format: refused)."),
) -> None:
    """RTO and RPO per playbook and kind: runs, pass rate, last/p50/p90/worst against the
    targets (nearest-rank percentiles), every miss and regression with its run id, and the
    age of each drill target's newest validated restore -- every target the playbook's
    `drills:` declares, "never drilled" when none ran (the playbook: --playbook FILE, else the
    default playbook when it is there).

    Examples:

    * `drctl report` (last 30 days, a table)
    * `drctl report --since 90d --kind drill --format md --out drills.md`
    * `drctl report --format html --out report.html` (charts inline; no network needed)

    Exit codes: 0 done, 2 invalid input, 3 stopped (Ctrl-C, SIGTERM: no file written).
    """
    app = app_of(ctx)
    fmt = _format(fmt, json_out, out)
    check_writable(out)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"--kind {kind!r}: use one of {', '.join(KINDS)}")
    now = app.clock.now()
    filters = Filters(_since(since, now), kind, *_playbook_scope(playbook))
    rule = RegressionRule(factor=factor, min_seconds=_margin(margin))
    try:
        result = report_from_store(app.store, now, filters, rule)
        _check_playbook(result, filters)
        write_output(app.console, result, fmt, out)
    except KeyboardInterrupt as exc:  # a report is no run: nothing to resume or abort
        raise ReportStopped(getattr(exc, "reason", "Ctrl-C"), out) from None


class ReportStopped(DrctlError):
    """Ctrl-C, SIGTERM or SIGHUP while reading or rendering. Exit 3, as every stop that leaves
    nothing to resume (README, Exit codes) -- not 'aborted at a prompt'."""

    exit_code = 3

    def __init__(self, reason: str, out: Path | None) -> None:
        lost = f"{out} was not written" if out else "the report is incomplete"
        super().__init__(f"stopped ({reason}): {lost}; a report changes nothing, run it "
                         "again")


# `--out report.html` alone wrote the terminal table into report.html: the file's suffix
# says what the user asked for when --format does not.
BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}


def _format(fmt: str | None, json_out: bool, out: Path | None = None) -> str:
    if json_out and fmt not in (None, "json"):
        raise InvalidInput(f"--json and --format {fmt} ask for two formats: give one "
                           "(--json is --format json)")
    by_suffix = BY_SUFFIX.get(out.suffix.lower()) if out is not None else None
    fmt = "json" if json_out else fmt or by_suffix or "table"
    if fmt not in FORMATS:
        raise InvalidInput(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def _since(text: str, now: datetime) -> datetime:
    """A duration back from now, or an operator time (explicit UTC offset)."""
    bare = text.strip()
    if bare.startswith("-") and _seconds(bare[1:]) is not None:
        raise InvalidInput(f"--since {text!r}: a duration counts back from now and takes no "
                           f"sign: --since {bare[1:]}")
    seconds = _seconds(bare)
    if seconds is not None:
        try:
            return now - timedelta(seconds=seconds)
        except OverflowError:
            raise InvalidInput(f"--since {text!r}: reaches back before the year 1") from None
    if not bare[:1].isdigit() or "-" not in bare:  # not a date: say every form taken
        raise InvalidInput(f"--since {text!r}: give {SINCE_FORMS}")
    return parse_operator_time(text, option="--since", now=now, max_age=timedelta(days=36600))


def _seconds(text: str) -> float | None:
    try:
        return parse_duration(text)
    except ValueError:
        return None


def _margin(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InvalidInput(f"--regression-margin: {exc}") from None


def _playbook_scope(value: str | None) -> tuple[str | None, tuple[str, ...]]:
    """A YAML file names its playbook and its drill targets (so one never drilled shows);
    anything else is taken as the name itself. Without a file, the default playbook (when it
    is there, and is the one asked for) declares the drill targets."""
    from drctl.playbook.loader import load_playbook  # its schema is slow to import: only here

    if value is not None and value.endswith((".yaml", ".yml")):
        given = load_playbook(value)
        return given.name, _drill_targets(given)
    default = _default_playbook()
    if default is None or value not in (None, default.name):
        return value, ()
    return value, _drill_targets(default)


def _default_playbook() -> Playbook | None:
    """The default playbook, if it is there. One that does not load is the commands' business
    (they say why); the report says only what it cannot list because of it."""
    from drctl.playbook.loader import load_playbook

    if not Path(DEFAULT_PLAYBOOK).is_file():
        return None
    try:
        return load_playbook(DEFAULT_PLAYBOOK)
    except DrctlError as exc:
        typer.echo(f"note: {DEFAULT_PLAYBOOK} does not load, so drill targets never drilled "
                   f"are not listed ({exc.message.splitlines()[0]})", err=True)
        return None


def _drill_targets(book: Playbook) -> tuple[str, ...]:
    return tuple(t.target for t in (book.drills.targets if book.drills else []))


def _check_playbook(result: Report, filters: Filters) -> None:
    """A playbook name no run has is most likely a typo: say which names the journal has."""
    if filters.playbook is None or result.groups or result.restore_ages:
        return
    known = sorted(result.known_playbooks)
    if known and filters.playbook not in known:
        raise InvalidInput(f"--playbook {filters.playbook!r}: no run of that playbook "
                           f"(the journal has: {', '.join(known)})")
