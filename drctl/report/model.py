"""The report's view-model: every number computed once, here, into typed objects.

Table, JSON, Markdown and HTML only render a `Report`; none of them computes a figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from drctl.core.durations import format_duration
from drctl.report.records import Figure, RunRecord, load_records
from drctl.report.regressions import Regression, RegressionRule, find_regressions
from drctl.report.stats import FigureStats
from drctl.store.base import Store


@dataclass(frozen=True)
class Filters:
    since: datetime
    kind: str | None = None
    playbook: str | None = None
    # The drill targets the playbook's file declares: one never drilled is listed as "never".
    drill_targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Miss:
    """A finished run that did not pass, and every reason why."""

    run_id: str
    started_at: datetime
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    playbook: str             # "-": runs of no playbook (a runbook run names none)
    kind: str
    runs: int                 # finished runs in the window
    passed: int
    unfinished: int           # running, waiting or interrupted: not judged yet
    rto: FigureStats
    rpo: FigureStats
    misses: tuple[Miss, ...]
    regressions: tuple[Regression, ...]
    records: tuple[RunRecord, ...]  # the window's runs, oldest first (charts and tables)
    runbook: str | None = None  # runbook runs are grouped per runbook
    not_run: int = 0          # scheduled fires refused or missed: not judged (RunRecord.not_run)

    @property
    def name(self) -> str:
        """What a person reads in the first column: the playbook, or the runbook."""
        if self.runbook is None:
            return self.playbook
        prefix = "" if self.playbook == "-" else f"{self.playbook} "
        return f"{prefix}runbook {self.runbook}"

    @property
    def pass_rate(self) -> float | None:
        return round(self.passed / self.runs, 4) if self.runs else None

    @property
    def has_targets(self) -> bool:
        return self.rto.target is not None or self.rpo.target is not None


@dataclass(frozen=True)
class RestoreAge:
    """A drill target and its newest restore that was validated (None: never)."""

    target: str
    last_validated_at: datetime | None
    run_id: str | None
    age_seconds: float | None
    failed_since: int  # drills of this target that did not pass after that one
    # An S3 bucket drilled only a prefix at a time (`s3:BUCKET/PREFIX`): those prefixes.
    parts: tuple[str, ...] = ()

    @property
    def sentence(self) -> str:
        if self.last_validated_at is None and not self.failed_since and self.parts:
            return f"{self.target}: never drilled whole (only {', '.join(self.parts)})"
        if self.last_validated_at is None and not self.failed_since:
            return f"{self.target}: never drilled"
        if self.last_validated_at is None:
            return f"{self.target}: never restored and validated ({self.failed_since} drill(s) " \
                   "failed)"
        failed = f"; {self.failed_since} drill(s) failed since" if self.failed_since else ""
        return (f"{self.target}: last restored and validated {_ago(self.age_seconds)} "
                f"({self.run_id}){failed}")


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    filters: Filters
    rule: RegressionRule
    groups: tuple[Group, ...]
    restore_ages: tuple[RestoreAge, ...] = field(default=())
    known_playbooks: frozenset[str] = field(default=frozenset())


def build_report(history: list[RunRecord], now: datetime, filters: Filters,
                 rule: RegressionRule = RegressionRule()) -> Report:
    """`history`: every run (oldest first), so regressions and restore ages can look back
    before the window; groups count only runs started at or after `filters.since`."""
    chosen = [r for r in history if _matches(r, filters)]
    regressions = find_regressions(chosen, rule)
    window = [r for r in chosen if r.started_at >= filters.since]
    by_group: dict[tuple[str, str, str], list[RunRecord]] = defaultdict(list)
    for record in window:
        by_group[(record.playbook or "-", record.kind, record.runbook or "")].append(record)
    groups = tuple(_group(playbook, kind, runs, regressions, runbook or None)
                   for (playbook, kind, runbook), runs in sorted(by_group.items()))
    known = frozenset(r.playbook for r in history if r.playbook)
    ages = restore_ages(chosen, now, filters.drill_targets if filters.kind in (None, "drill")
                        else ())
    return Report(now, filters, rule, groups, ages, known)


def report_from_store(store: Store, now: datetime, filters: Filters,
                      rule: RegressionRule = RegressionRule()) -> Report:
    """The report over the store's runs (only those of `filters.kind` are read)."""
    return build_report(load_records(store, filters.kind), now, filters, rule)


def _matches(record: RunRecord, filters: Filters) -> bool:
    return ((filters.kind is None or record.kind == filters.kind)
            and (filters.playbook is None or record.playbook == filters.playbook))


def _group(playbook: str, kind: str, runs: list[RunRecord], regressions: list[Regression],
           runbook: str | None) -> Group:
    ids = {r.run_id for r in runs}
    not_run = [r for r in runs if r.not_run]
    finished = [r for r in runs if r.finished and not r.not_run]
    return Group(
        playbook, kind, runs=len(finished), passed=sum(r.passed for r in finished),
        unfinished=len(runs) - len(finished) - len(not_run),
        rto=_stats([r.rto for r in finished]), rpo=_stats([r.rpo for r in finished]),
        misses=tuple(_miss(r) for r in finished if not r.passed),
        regressions=tuple(g for g in regressions if g.run_id in ids), records=tuple(runs),
        runbook=runbook, not_run=len(not_run),
    )


def _stats(figures: list[Figure | None]) -> FigureStats:
    present = [f for f in figures if f is not None]
    values = [f.seconds for f in present if f.seconds is not None]
    return FigureStats.of(values, present[-1].target if present else None)


def _miss(record: RunRecord) -> Miss:
    reasons = []
    if record.status.value != "succeeded":
        reasons.append(f"{record.status}: {record.error}" if record.error else str(record.status))
    for name, figure in (("RTO", record.rto), ("RPO", record.rpo)):
        if figure is not None and not figure.met:
            reasons.append(_missed(name, figure))
    return Miss(record.run_id, record.started_at, tuple(reasons))


def _missed(name: str, figure: Figure) -> str:
    if figure.seconds is None:
        return f"{name} not measured"
    return (f"{name} {format_duration(figure.seconds)} over the "
            f"{format_duration(figure.target)} target")


def restore_ages(records: list[RunRecord], now: datetime,
                 declared: tuple[str, ...] = ()) -> tuple[RestoreAge, ...]:
    drills: defaultdict[str, list[RunRecord]] = defaultdict(list, {t: [] for t in declared})
    for record in records:
        if record.kind == "drill" and record.subject and record.finished:
            runs = drills[record.subject]  # a target only refused is still listed
            if not record.not_run:
                runs.append(record)
    ages = [_restore_age(target, runs, now) for target, runs in sorted(drills.items())]
    return tuple(replace(a, parts=tuple(t for t in drills if t.startswith(f"{a.target}/")))
                 for a in ages)


def _restore_age(target: str, runs: list[RunRecord], now: datetime) -> RestoreAge:
    # A validated restore is good even when it was slow: the data came back.
    good = [r for r in runs if r.validated and r.validated_at is not None]
    if not good:
        return RestoreAge(target, None, None, None, len(runs))
    newest = max(good, key=lambda r: r.validated_at or r.started_at)
    assert newest.validated_at is not None
    failed_since = sum(1 for r in runs if r.started_at > newest.started_at and not r.validated)
    age = round((now - newest.validated_at).total_seconds(), 3)
    return RestoreAge(target, newest.validated_at, newest.run_id, age, failed_since)


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
