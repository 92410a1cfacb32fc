"""Rendering for people (rich) and machines (--json). No logic beyond presentation."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drctl.core.clock import iso
from drctl.core.durations import format_duration
from drctl.core.events import Event
from drctl.core.figures import DrillFigures, FailoverFigures, RunbookFigures
from drctl.core.run import Run
from drctl.core.summary import Figure, RunSummary


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


class ProgressRenderer:
    """An engine subscriber: one line per step start/end, progress lines while waiting.

    `errors_shown`: every step error it printed, so the rendering of the finished run does not
    print the same error again (a drill's failed validation is its run's error)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._index: dict[str, str] = {}
        self._started: dict[str, datetime] = {}
        self.errors_shown: set[str] = set()

    def __call__(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler:
            handler(event)

    def _on_run_started(self, event: Event) -> None:
        params = event.data.get("params", {})
        target = params.get("target_region")
        left = params.get("failed_region")
        what = f" to {target}" + (f" (from {left})" if left else "") if target else ""
        if params.get("finishing"):
            what += f": {target} already takes the traffic, finishing the job (DNS left as is)"
        self.console.print(f"[bold]{event.data['kind']} {event.run_id}[/]{what}")

    def _on_step_started(self, event: Event) -> None:
        self._index[event.step or ""] = f"[{event.data['index']}/{event.data['total']}]"
        self._started[event.step or ""] = event.at
        retry = f" (attempt {event.data['attempt']})" if event.data.get("attempt", 1) > 1 else ""
        self.console.print(f"{self._tag(event)} {event.step} …{retry}")

    def _on_step_progress(self, event: Event) -> None:
        self.console.print(f"      [dim]{escape(event.data['message'])}[/]", soft_wrap=True)

    def _on_step_succeeded(self, event: Event) -> None:
        note = " (already done)" if event.data.get("skipped_apply") else ""
        delivered = event.data.get("output", {}).get("delivered")
        note += f" ({escape(delivered)})" if delivered else ""
        took = format_duration(self._elapsed(event))
        self.console.print(f"{self._tag(event)} [green]✓[/] {event.step} [dim]{took}[/]{note}")

    def _on_step_failed(self, event: Event) -> None:
        self.errors_shown.add(event.data["error"])
        error = escape(event.data["error"])
        self.console.print(f"{self._tag(event)} [red]✗ {event.step}: {error}[/]", soft_wrap=True)

    def _tag(self, event: Event) -> str:
        return escape(self._index.get(event.step or "", ""))

    def _elapsed(self, event: Event) -> float:
        started = self._started.get(event.step or "", event.at)
        return (event.at - started).total_seconds()


def render_run(console: Console, run: Run, errors_shown: Collection[str] = ()) -> None:
    """The run's steps, its error (unless `errors_shown` holds it: printed as it happened),
    what to do about what it changed, and its RTO/RPO against the targets."""
    data = run.to_dict()
    table = Table(title=f"{run.kind} {run.run_id} — {data['status']}", title_justify="left")
    for column in ("step", "status", "started", "duration"):
        table.add_column(column)
    for step in run.steps:
        table.add_row(step.name, str(step.status), iso(step.started_at) or "-",
                      format_duration(step.duration_seconds))
    console.print(table)
    if run.kind == "schedule":   # a pause or resume: no steps, what and who say it all
        console.print(_schedule_action(run.params), markup=False, soft_wrap=True)
    render_changes(console, run)
    if run.error and run.error not in errors_shown:
        console.print(f"[red]error:[/] {escape(run.error)}", soft_wrap=True)
    for key in ("changed", "resume", "roll_back"):
        if run.recovery.get(key):
            console.print(f"  {escape(run.recovery[key])}")
    if run.figures is not None and run.figures.recovery is not None:
        render_targets(console, run.figures)


def _schedule_action(params: dict[str, Any]) -> str:
    """`pause of pb/s by ops on h1: release week` (and the pause it replaced or ended)."""
    line = (f"{params.get('action')} of {params.get('schedule')} by {params.get('by')} on "
            f"{params.get('host')}")
    if params.get("reason"):
        line += f": {params['reason']}"
    was = params.get("was")
    if was:
        verb = "ended" if params.get("action") == "resume" else "replaced"
        line += f" (it {verb} the pause by {was.get('by')}: {was.get('reason')})"
    return line


# A large estate changes hundreds of services: the first few here, all of them in --json.
CHANGES_SHOWN = 8


def render_changes(console: Console, run: Run) -> None:
    """What the run changed in the estate, as journaled (`changes`)."""
    if not run.changes:
        return
    console.print(f"changes made ({len(run.changes)}):")
    for change in run.changes[:CHANGES_SHOWN]:
        where = f" in {change['region']}" if change.get("region") else ""
        unsure = "" if change["status"] == "applied" else " (started; outcome not journaled)"
        console.print(f"  {change['step']}: {change['action']} {change['target']}{where}: "
                      f"{change['before']} -> {change['after']}{unsure}", markup=False)
    if len(run.changes) > CHANGES_SHOWN:
        console.print(f"  … and {len(run.changes) - CHANGES_SHOWN} more: "
                      f"`drctl runs show {run.run_id} --json`", markup=False)


def render_targets(console: Console, figures: FailoverFigures | DrillFigures | RunbookFigures
                   ) -> None:
    def line(name: str, value: Any, target: Any, met: bool | None, source: str | None) -> None:
        verdict = ("[yellow]not measured[/]" if met is None or value is None else
                   "[green]met[/]" if met else "[red]MISSED[/]")
        src = f"  [dim]({source})[/]" if source else ""
        console.print(f"{name} {format_duration(value):>9}  target {format_duration(target):>9}"
                      f"  {verdict}{src}")

    m, rpo = figures.recovery, figures.recovery.rpo
    lower = "; a lower bound: no alarm fired" if figures.rto_lower_bound else ""
    line("RTO", m.rto_seconds, m.rto_target_seconds, m.rto_met,
         f"from {m.incident_start_source} at {iso(m.incident_start)}{lower}")
    line("RPO", rpo.seconds if rpo else None, m.rpo_target_seconds, m.rpo_met,
         rpo.source if rpo else None)


def render_runs(console: Console, summaries: list[RunSummary]) -> None:
    table = Table()
    # Every column is in `runs list --json` too (run_id, kind, status, started_at, target,
    # verdict or targets_met, rto_*/rpo_*, line): tests/unit/test_cli_runs.py checks it.
    for column in ("run id", "kind", "status", "started", "target", "verdict", "RTO", "RPO",
                   "summary"):
        table.add_column(column)
    for summary in summaries:
        table.add_row(summary.run_id, summary.kind, summary.status,
                      iso(summary.started_at), escape(summary.target or "-"),
                      _verdict(summary), _figure(summary.rto), _figure(summary.rpo),
                      escape(summary.line or "-"))
    console.print(table)


def _verdict(summary: RunSummary) -> str:
    if summary.verdict:
        return summary.verdict
    return {True: "met", False: "MISSED", None: "-"}[summary.targets_met]


def _figure(figure: Figure) -> str:
    if figure.seconds is None:
        return "-"
    return format_duration(figure.seconds) + ("" if figure.met else " MISSED")
