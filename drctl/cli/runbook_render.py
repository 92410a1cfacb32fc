"""How a runbook run looks to the person running it: "step 3/9", the step's prose, the call
before it changes anything (service, API, region, arguments, caller), elapsed time, what next."""

from __future__ import annotations

import json
from datetime import datetime

from rich.console import Console
from rich.markup import escape

from drctl.core.durations import format_duration
from drctl.core.events import Event
from drctl.runbook.model import Runbook
from drctl.runbook.plan import PlannedStep
from drctl.runbook.sequence import NAME


class RunbookRenderer:
    """An engine subscriber for runbook runs (the whole-sequence step itself is not shown)."""

    def __init__(self, console: Console, runbook: Runbook) -> None:
        self.console, self.runbook = console, runbook
        self._start: datetime | None = None
        self.run_id: str | None = None  # once the run is started or resumed
        self._step_start: dict[str, datetime] = {}

    def __call__(self, event: Event) -> None:
        if event.step == NAME:
            return
        handler = getattr(self, f"_on_{event.type}", None)
        if handler:
            handler(event)

    def _say(self, text: str) -> None:
        self.console.print(text, soft_wrap=True)

    def _on_run_started(self, event: Event) -> None:
        self._start, self.run_id = event.at, event.run_id
        self._say(f"[bold]runbook {escape(self.runbook.meta.id)}[/] — "
                  f"{escape(self.runbook.meta.title)}  [dim](run {event.run_id})[/]")
        if self.runbook.intro:
            self._say(escape(self.runbook.intro))

    def _on_run_resumed(self, event: Event) -> None:
        self._start, self.run_id = self._start or event.at, event.run_id
        self._say(f"[bold]resuming runbook {escape(self.runbook.meta.id)}[/] "
                  f"[dim](run {event.run_id})[/]")

    def _on_step_started(self, event: Event) -> None:
        step = self.runbook.step(event.step or "")
        self._step_start[step.id] = event.at
        title = f" — {escape(step.spec.title)}" if step.spec.title else ""
        self._say(f"\n[bold]step {event.data.get('index')}/{event.data.get('total')}[/] "
                  f"{escape(step.id)}{title}  [dim]({step.spec.action}, "
                  f"elapsed {self._elapsed(event)})[/]")
        if step.prose:
            self._say(f"[dim]{escape(step.prose)}[/]")

    def _on_runbook_call(self, event: Event) -> None:
        data = event.data
        self._say(f"  [yellow]calling {escape(str(data.get('service')))} "
                  f"{escape(str(data.get('api')))} in {escape(str(data.get('region')))} as "
                  f"{escape(str(data.get('caller')))}[/]\n  args: "
                  f"{escape(json.dumps(data.get('args'), default=str))}")

    def _on_step_progress(self, event: Event) -> None:
        self._say(f"  [dim]{escape(str(event.data.get('message')))}[/]")

    def _on_step_succeeded(self, event: Event) -> None:
        step_id = event.step or ""
        took = format_duration(self._took(event))
        marked = event.data.get("marked_done_by")
        if marked:
            self._say(f"  [green]✓[/] {escape(step_id)} marked done by "
                      f"{escape(str(marked.get('user')))} (not run again)")
        elif event.data.get("skip_reason"):
            self._say(f"  ↷ {escape(step_id)} skipped: {escape(event.data['skip_reason'])}")
        else:
            outputs = event.data.get("output") or {}
            shown = f"  outputs {escape(json.dumps(outputs, default=str))}" if outputs else ""
            self._say(f"  [green]✓[/] {escape(step_id)} [dim]{took}[/]{shown}")
        self._next(step_id)

    def _on_step_failed(self, event: Event) -> None:
        self._say(f"  [red]✗ {escape(event.step or '')}: {escape(str(event.data['error']))}[/]")

    def _on_runbook_retry(self, event: Event) -> None:
        self._say(f"  [yellow]attempt {event.data['attempt']} failed: "
                  f"{escape(str(event.data['error']))}; again in "
                  f"{format_duration(event.data['delay'])}[/]")

    def _on_runbook_continued(self, event: Event) -> None:
        following = event.data.get("next") or "the end"
        self._say(f"  on_failure {escape(str(event.data['on_failure']))}: going on with "
                  f"{escape(following)}")

    def _next(self, step_id: str) -> None:
        index = self.runbook.index(step_id) + 1
        if index < len(self.runbook.steps):
            self._say(f"  [dim]next: {escape(self.runbook.steps[index].id)}[/]")

    def _elapsed(self, event: Event) -> str:
        return format_duration((event.at - (self._start or event.at)).total_seconds())

    def _took(self, event: Event) -> float:
        return (event.at - self._step_start.get(event.step or "", event.at)).total_seconds()


def render_plan(console: Console, runbook: Runbook, plan: list[PlannedStep]) -> None:
    console.print(f"[bold]Dry run of runbook {escape(runbook.meta.id)}[/] — "
                  f"{escape(runbook.meta.title)}")
    for step in plan:
        mark = "[yellow]changes[/]" if step.mutating else "[green]read-only[/]"
        console.print(f"\nstep {step.index}/{len(plan)} {escape(step.id)} ({step.action}) {mark}")
        console.print(f"  {escape(json.dumps(step.rendered, default=str))}", soft_wrap=True)
        for note in step.notes:
            console.print(f"  [dim]{escape(note)}[/]", soft_wrap=True)
    console.print("\n[dim]nothing that changes things was done[/]")
