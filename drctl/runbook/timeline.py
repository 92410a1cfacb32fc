"""The post-mortem view of a runbook run, from its journal alone: each step, who ran or
acknowledged it, when, how long, its outputs and notes; then RTO/RPO when measured.
One view-model (`Timeline`), three renderings: Markdown, JSON, CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from drctl.core.clock import iso
from drctl.core.errors import InvalidInput
from drctl.core.events import Event
from drctl.core.figures import RunbookFigures, read_figures
from drctl.core.measurement import Measurement
from drctl.core.run import Run
from drctl.runbook.runner import KIND, MARKED_DONE_BY
from drctl.runbook.sequence import CALL, CONTINUED, NAME, RETRY


@dataclass
class Entry:
    step: str
    status: str = "not reached"
    by: str = ""
    started_at: str | None = None
    ended_at: str | None = None
    duration_seconds: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Timeline:
    run_id: str
    runbook: str
    status: str
    started_at: str | None
    ended_at: str | None
    entries: list[Entry]
    measurement: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_timeline(run: Run, events: list[Event]) -> Timeline:
    """InvalidInput when `run` is not a runbook run."""
    if run.kind != KIND:
        raise InvalidInput(f"run {run.run_id} is a {run.kind}, not a runbook run",
                           hint=f"`drctl runs show {run.run_id}`")
    entries = {sid: Entry(sid) for sid, _ in run.params.get("steps", [])}
    owner, started = "", dict[str, datetime]()
    for event in events:
        if event.type in ("run_started", "run_resumed"):
            owner = f"{event.data.get('user')}@{event.data.get('host')}"
        entry = entries.get(event.step or "") if event.step != NAME else None
        if entry is not None:
            _apply(entry, event, owner, started)
    return Timeline(run.run_id, str(run.params.get("runbook")), str(run.effective_status),
                    iso(run.started_at), iso(run.ended_at), list(entries.values()),
                    dict(run.measurement))


def _apply(entry: Entry, event: Event, owner: str, started: dict[str, datetime]) -> None:
    data = event.data
    if event.type == "step_started":
        entry.status, entry.by, entry.started_at = "running", owner, iso(event.at)
        started[entry.step] = event.at
    elif event.type == "step_succeeded":
        _succeeded(entry, event, started)
    elif event.type == "step_failed":
        entry.status = "failed"
        entry.notes.append(f"error: {data.get('error')}")
        _ended(entry, event, started)
    else:
        _note(entry, event)


def _succeeded(entry: Entry, event: Event, started: dict[str, datetime]) -> None:
    """A step done: run, skipped by its `skip_if`, or marked done by a person at resume (it
    had happened before the crash: succeeded, by that person, never shown as skipped)."""
    data = event.data
    marked = data.get(MARKED_DONE_BY)
    entry.status = "skipped" if data.get("skip_reason") and not marked else "succeeded"
    entry.outputs = dict(data.get("output") or {})
    if marked:
        entry.by = _person(marked)
        entry.notes.append(f"marked done by {entry.by} at resume (it had happened; "
                           "not run again)")
    elif data.get("skip_reason"):
        entry.notes.append(str(data["skip_reason"]))
    _ended(entry, event, started)
    who = entry.outputs.get("acknowledged_by") or entry.outputs.get("approved_by")
    if isinstance(who, dict):
        entry.by = _person(who)


def _person(data: Any) -> str:
    return f"{data.get('user')} ({data.get('aws')})" if isinstance(data, dict) else str(data)


def _note(entry: Entry, event: Event) -> None:
    data = event.data
    if event.type == CALL:
        entry.notes.append(f"called {data.get('service')} {data.get('api')} in "
                           f"{data.get('region')} as {data.get('caller')} with "
                           f"{json.dumps(data.get('args'), default=str)}")
    elif event.type == RETRY:
        entry.notes.append(f"attempt {data.get('attempt')} failed: {data.get('error')}")
    elif event.type == CONTINUED:
        entry.notes.append(f"on_failure {data.get('on_failure')}: next "
                           f"{data.get('next') or 'the end'}")
    elif event.type == "manual_acked":
        by = data.get("by") or {}
        note = f": {data['note']}" if data.get("note") else ""
        entry.notes.append(f"acknowledged by {by.get('user')} via {data.get('via')}{note}")
    elif event.type in ("approval_granted", "approval_rejected"):
        entry.by = _person(data.get("by") or {})  # the person who decided, not the executor
        verb = "approved" if event.type == "approval_granted" else "rejected"
        reason = f": {data['reason']}" if data.get("reason") else ""
        entry.notes.append(f"{verb} by {entry.by}{reason}")
    elif event.type == "runbook_subrun":
        sub = data.get("sub_run") or {}
        entry.notes.append(f"sub-run {sub.get('run_id')} ({sub.get('kind')}) "
                           f"{sub.get('status')}")
    elif event.type == "run_waiting":
        entry.notes.append(f"waited for {data.get('reason')} from {iso(event.at)}")


def _ended(entry: Entry, event: Event, started: dict[str, datetime]) -> None:
    entry.ended_at = iso(event.at)
    if entry.step in started:
        entry.duration_seconds = round((event.at - started[entry.step]).total_seconds(), 3)


def to_markdown(timeline: Timeline) -> str:
    lines = [f"# Runbook {timeline.runbook}: run {timeline.run_id}", "",
             f"Status **{timeline.status}**, from {timeline.started_at} to "
             f"{timeline.ended_at or '-'}.", "",
             "| step | status | by | started | duration | outputs | notes |",
             "|---|---|---|---|---|---|---|"]
    for e in timeline.entries:
        cells = [e.step, e.status, e.by, e.started_at or "-",
                 "-" if e.duration_seconds is None else f"{e.duration_seconds:.1f}s",
                 json.dumps(e.outputs, default=str) if e.outputs else "", "; ".join(e.notes)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    figures = read_figures(KIND, timeline.measurement)
    if isinstance(figures, RunbookFigures):
        lines += ["", *_figure_lines(figures.recovery)]
    return "\n".join(lines) + "\n"


def _figure_lines(m: Measurement) -> list[str]:
    rpo = m.rpo
    return [f"- RTO: {m.rto_seconds} s (target {m.rto_target_seconds} s, "
            f"{_verdict(m.rto_met if m.rto_seconds is not None else None)}; from "
            f"{m.incident_start_source})",
            f"- RPO: {rpo.seconds if rpo else None} s (target {m.rpo_target_seconds} s, "
            f"{_verdict(m.rpo_met if rpo else None)}; from {rpo.source if rpo else None})"]


def to_csv(timeline: Timeline) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["step", "status", "by", "started_at", "ended_at", "duration_seconds",
                     "outputs", "notes"])
    for e in timeline.entries:
        writer.writerow([e.step, e.status, e.by, e.started_at or "", e.ended_at or "",
                         "" if e.duration_seconds is None else e.duration_seconds,
                         json.dumps(e.outputs, default=str) if e.outputs else "",
                         " | ".join(e.notes)])
    return out.getvalue()


def _verdict(met: object) -> str:
    """Unmeasured (null) is not missed."""
    return "not measured" if met is None else "met" if met else "MISSED"
