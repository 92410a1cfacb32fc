"""The short summary of one run: printed when it ends, sent through the notify channels, and
the head of `drctl runs show --format md|html`.

RTO/RPO against the targets with met/missed (or the chaos verdict), the slowest step, any
regression against the previous runs of its kind, and the commands that show the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.core.clock import iso
from drctl.core.durations import format_duration
from drctl.core.run import Run
from drctl.report.export import record_to_dict, regression_to_dict
from drctl.report.records import Figure, RunRecord, StepTiming, load_records, record_from_run
from drctl.report.regressions import Regression, RegressionRule, find_regressions
from drctl.store.base import Store


@dataclass(frozen=True)
class RunSummary:
    record: RunRecord
    generated_at: datetime
    slowest: StepTiming | None
    regressions: tuple[Regression, ...]

    @property
    def commands(self) -> list[str]:
        run_id = self.record.run_id
        scope = f" --playbook {self.record.playbook}" if self.record.playbook else ""
        return [f"drctl runs show {run_id} --format html --out {run_id}.html",
                f"drctl report{scope} --kind {self.record.kind}"]

    @property
    def verdict(self) -> str:
        """Targets met or missed, the chaos verdict, or "" (a run with neither: a runbook
        that measures nothing -- its status says it all)."""
        record = self.record
        if record.targets_met is None:
            unmeasured = [name for name, f in (("RTO", record.rto), ("RPO", record.rpo))
                          if f is not None and f.met is None]
            if unmeasured:
                return f"{' and '.join(unmeasured)} not measured"
            return record.verdict or ""
        return "targets met" if record.targets_met else "targets MISSED"

    @property
    def outcome(self) -> str:
        """The status, and the verdict when there is one: "succeeded: targets met"."""
        verdict = f": {self.verdict}" if self.verdict else ""
        return f"{self.record.status}{verdict}"

    @property
    def headline(self) -> str:
        record = self.record
        what = f"{record.kind} {record.run_id}"
        subject = f" ({record.subject})" if record.subject else ""
        return f"drctl {what}{subject} {self.outcome}"

    @property
    def lines(self) -> list[str]:
        record = self.record
        lines = [figure_line(name, figure) for name, figure in
                 (("RTO", record.rto), ("RPO", record.rpo)) if figure is not None]
        if record.verdict:
            lines.append(f"{record.kind} verdict: {record.verdict}")  # a refused drill too
        if record.error:
            lines.append(f"error: {record.error}")
        return lines + self.timing_lines

    @property
    def timing_lines(self) -> list[str]:
        """The slowest step and the regressions."""
        lines = []
        if self.slowest is not None:
            lines.append(f"slowest step: {self.slowest.name} "
                         f"{format_duration(self.slowest.seconds)}")
        return lines + [f"REGRESSION: {r.message}" for r in self.regressions]

    @property
    def commands_line(self) -> str:
        return "full report: " + "  |  ".join(f"`{c}`" for c in self.commands)

    @property
    def text(self) -> str:
        return "\n".join([self.headline, *self.lines, self.commands_line])

    @property
    def footer(self) -> str:
        """What a command that renders the run itself (its steps, error and RTO/RPO, as
        `render_run` does) prints after it: only what that rendering does not show."""
        return "\n".join([*self.timing_lines, self.commands_line])

    def to_dict(self) -> dict[str, Any]:
        return {**record_to_dict(self.record), "summary": self.headline,
                "slowest_step": None if self.slowest is None else
                {"name": self.slowest.name, "seconds": self.slowest.seconds},
                "regressions": [regression_to_dict(r) for r in self.regressions],
                "commands": self.commands, "generated_at": iso(self.generated_at)}


def figure_line(name: str, figure: Figure) -> str:
    verdict = "not measured" if figure.met is None else "met" if figure.met else "MISSED"
    return (f"{name} {format_duration(figure.seconds)} (target "
            f"{format_duration(figure.target)}, {verdict})")


def summarize(record: RunRecord, history: list[RunRecord], now: datetime,
              rule: RegressionRule = RegressionRule()) -> RunSummary:
    """`history`: runs of the same kind (oldest first; `record` among them or not)."""
    earlier = [r for r in history if r.started_at < record.started_at
               and r.run_id != record.run_id]
    regressions = [g for g in find_regressions([*earlier, record], rule)
                   if g.run_id == record.run_id]
    timed = [s for s in record.own_steps if s.seconds is not None]
    slowest = max(timed, key=lambda s: s.seconds or 0.0) if timed else None
    return RunSummary(record, now, slowest, tuple(regressions))


def summary_of_run(store: Store, run: Run, now: datetime,
                   rule: RegressionRule = RegressionRule()) -> RunSummary:
    """The summary of a run in `store`, judged against the store's runs of its kind."""
    record = record_from_run(run)
    history = [r for r in load_records(store, run.kind) if r.playbook == record.playbook]
    return summarize(record, history, now, rule)


def to_markdown(summary: RunSummary) -> str:
    record = summary.record
    lines = [f"# {summary.headline}", "", *[f"- {line}" for line in summary.lines],
             f"- {summary.commands_line}", "",
             "| step | status | started | duration |", "|---|---|---|---|"]
    lines += [f"| {s.name} | {s.status} | {iso(s.started_at) or '-'} | "
              f"{format_duration(s.seconds)} |" for s in record.steps]
    return "\n".join(lines) + "\n"
