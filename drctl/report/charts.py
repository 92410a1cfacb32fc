"""Charts for the HTML report, as PNG bytes. matplotlib is imported here only and drawn on
the Agg canvas (no display, no GUI toolkit, no pyplot global state): importing this module is
what asking for HTML costs."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drctl.report.records import RunRecord

MET, MISSED, WAIT, STEP, FAILED = "#2e7d32", "#c62828", "#b0bec5", "#1565c0", "#c62828"
VERDICTS = ("passed", "deviated", "failed", "aborted", "skipped")


def figures_over_time(records: Sequence[RunRecord], name: str) -> bytes | None:
    """RTO or RPO (`name`) of each run against its start time, the target drawn as a line;
    a missed target in red. None when no run measured it."""
    points = [(r.started_at, getattr(r, name)) for r in records if getattr(r, name) is not None]
    points = [(at, f) for at, f in points if f.seconds is not None]
    if not points:
        return None
    fig, ax = _figure(7.5, 2.6)
    ax.plot([at for at, _ in points], [f.seconds for _, f in points], color="#90a4ae", lw=1)
    ax.scatter([at for at, _ in points], [f.seconds for _, f in points], zorder=3,
               c=[MET if f.met else MISSED for _, f in points], s=28)
    targets = {f.target for _, f in points if f.target is not None}
    for target in sorted(targets):
        ax.axhline(target, color=MISSED, ls="--", lw=1, label=f"target {target:g} s")
    ax.set_ylabel(f"{name.upper()} (s)")
    ax.set_ylim(bottom=0)
    _time_axis(ax, [at for at, _ in points])
    if targets:
        ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def timeline(record: RunRecord) -> bytes | None:
    """One run's steps as bars from its incident start (or its own start): waits in grey —
    before drctl started (detection), between steps, and steps waiting on a person."""
    origin = record.incident_start or record.started_at
    bars = _bars(record, origin)
    if not bars:
        return None
    fig, ax = _figure(7.5, 0.45 * len(bars) + 1.0)
    for row, (_label, start, length, colour, hatch) in enumerate(bars):
        ax.barh(row, max(length, 0.2), left=start, color=colour, hatch=hatch,
                edgecolor="#37474f", lw=0.5)
        ax.text(start + max(length, 0.2), row, f" {length:.1f} s", va="center", fontsize=8)
    ax.set_yticks(range(len(bars)), [b[0] for b in bars], fontsize=8)
    ax.invert_yaxis()
    if record.recovered_at is not None:
        ax.axvline((record.recovered_at - origin).total_seconds(), color=MET, ls="--", lw=1,
                   label="recovered (RTO)")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel(f"seconds since {'incident start' if record.incident_start else 'run start'}")
    return _png(fig)


def verdicts_over_time(records: Sequence[RunRecord]) -> bytes | None:
    points = [(r.started_at, r.verdict) for r in records if r.verdict]
    if not points:
        return None
    fig, ax = _figure(7.5, 2.2)
    rows = [VERDICTS.index(v) if v in VERDICTS else len(VERDICTS) for _, v in points]
    ax.scatter([at for at, _ in points], rows, s=40, zorder=3,
               c=[MET if v == "passed" else MISSED for _, v in points])
    ax.set_yticks(range(len(VERDICTS) + 1), [*VERDICTS, "other"], fontsize=8)
    ax.set_ylim(-0.5, len(VERDICTS) + 0.5)
    ax.invert_yaxis()
    _time_axis(ax, [at for at, _ in points])
    return _png(fig)


def _bars(record: RunRecord, origin: datetime) -> list[tuple[str, float, float, str, str]]:
    bars: list[tuple[str, float, float, str, str]] = []
    cursor = origin
    for step in record.steps:
        if step.started_at is None:
            continue
        gap = (step.started_at - cursor).total_seconds()
        if gap >= 0.5:
            label = "detection (before drctl)" if cursor == origin and record.incident_start \
                else "waiting"
            bars.append((label, _at(cursor, origin), gap, WAIT, "//"))
        end = step.ended_at or step.started_at
        waits = step.name in ("confirm", "approval")
        colour = WAIT if waits else (STEP if step.succeeded else FAILED)
        bars.append((step.name, _at(step.started_at, origin),
                     (end - step.started_at).total_seconds(), colour, "//" if waits else ""))
        cursor = max(cursor, end)
    return bars


def _at(when: datetime, origin: datetime) -> float:
    return (when - origin).total_seconds()


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=96, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.grid(axis="x", color="#eceff1")
    return fig, ax


def _time_axis(ax: Any, times: Sequence[datetime]) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(set(times)) == 1:  # one run: an hour either side, not matplotlib's years
        ax.set_xlim(times[0] - timedelta(hours=1), times[0] + timedelta(hours=1))


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
