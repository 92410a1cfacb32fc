"""The report for people: a rich table in the terminal, Markdown for a ticket or a wiki."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drctl.core.clock import iso
from drctl.core.durations import format_duration
from drctl.report.model import Group, Report
from drctl.report.stats import FigureStats

NO_RUNS = "no runs in this window (try a longer --since, or see `drctl runs list`)"
COLUMNS = ("playbook / runbook", "kind", "runs", "pass rate", "RTO last/p50/p90/worst (target)",
           "RPO last/p50/p90/worst (target)")


def figures(stats: FigureStats) -> str:
    if stats.target is None and stats.measured == 0:
        return "-"
    values = "/".join(format_duration(v) for v in (stats.last, stats.p50, stats.p90, stats.worst))
    return f"{values} ({format_duration(stats.target)})"


def pass_rate(group: Group) -> str:
    notes = [f"{n} {what}" for n, what in ((group.unfinished, "unfinished"),
                                           (group.not_run, "not run")) if n]
    if group.pass_rate is None:
        return f"- ({', '.join(notes)})" if notes else "-"
    return f"{group.pass_rate:.0%} ({group.passed}/{group.runs}{''.join(', ' + n for n in notes)})"


def title(report: Report) -> str:
    scope = [f"since {iso(report.filters.since)}"]
    if report.filters.kind:
        scope.append(f"kind {report.filters.kind}")
    if report.filters.playbook:
        scope.append(f"playbook {report.filters.playbook}")
    return "drctl report, " + ", ".join(scope)


def render_table(console: Console, report: Report) -> None:
    table = Table(title=escape(title(report)), title_justify="left")
    for column in COLUMNS:
        table.add_column(column)
    for group in report.groups:
        table.add_row(escape(group.name), group.kind, str(group.runs), pass_rate(group),
                      figures(group.rto), figures(group.rpo))
    if report.groups:
        console.print(table)
    else:
        console.print(escape(title(report)))
        console.print(NO_RUNS)
    for line in findings(report):
        console.print(escape(line), soft_wrap=True)


def findings(report: Report) -> list[str]:
    """Misses, regressions and restore ages as sentences, each naming its run."""
    lines: list[str] = []
    for group in report.groups:
        for miss in group.misses:
            lines.append(f"MISS {group.kind} {miss.run_id}: {'; '.join(miss.reasons)}")
        for regression in group.regressions:
            lines.append(f"REGRESSION {group.kind} {regression.run_id}: {regression.message}")
    lines.extend(f"restore: {age.sentence}" for age in report.restore_ages)
    return lines


def to_markdown(report: Report) -> str:
    if not report.groups:  # an empty table under a title would read as a report with no news
        lines = [f"# {title(report)}", "", NO_RUNS + "."]
    else:
        lines = [f"# {title(report)}", "", "| " + " | ".join(COLUMNS) + " |",
                 "|" + "---|" * len(COLUMNS)]
    for group in report.groups:
        cells = (group.name, group.kind, str(group.runs), pass_rate(group),
                 figures(group.rto), figures(group.rpo))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    for heading, rows in (("Misses", _misses(report)), ("Regressions", _regressions(report)),
                          ("Restore age", [f"- {a.sentence}" for a in report.restore_ages])):
        lines += ["", f"## {heading}", ""] + (rows or ["none"])
    return "\n".join(lines) + "\n"


def _misses(report: Report) -> list[str]:
    return [f"- `{m.run_id}` ({g.kind}): {'; '.join(m.reasons)}"
            for g in report.groups for m in g.misses]


def _regressions(report: Report) -> list[str]:
    return [f"- `{r.run_id}` ({g.kind}): {r.message}"
            for g in report.groups for r in g.regressions]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
