"""The report as JSON: seconds as numbers, times as ISO 8601 UTC, every run named by its id."""

from __future__ import annotations

from typing import Any

from drctl.core.clock import iso
from drctl.report.model import Group, Report, RestoreAge
from drctl.report.records import RunRecord
from drctl.report.regressions import Regression
from drctl.report.stats import FigureStats


def report_to_dict(report: Report) -> dict[str, Any]:
    rule = report.rule
    return {
        "generated_at": iso(report.generated_at),
        "since": iso(report.filters.since),
        "kind": report.filters.kind,
        "playbook": report.filters.playbook,
        "regression_rule": {"factor": rule.factor, "min_seconds": rule.min_seconds,
                            "window": rule.window, "min_history": rule.min_history},
        "groups": [group_to_dict(g) for g in report.groups],
        "restore_age": [restore_age_to_dict(a) for a in report.restore_ages],
    }


def group_to_dict(group: Group) -> dict[str, Any]:
    return {
        "playbook": None if group.playbook == "-" else group.playbook,
        "runbook": group.runbook,
        "kind": group.kind,
        "runs": group.runs,
        "passed": group.passed,
        "pass_rate": group.pass_rate,
        "unfinished": group.unfinished,
        "not_run": group.not_run,
        "rto": stats_to_dict(group.rto),
        "rpo": stats_to_dict(group.rpo),
        "misses": [m.run_id for m in group.misses],
        "miss_reasons": {m.run_id: list(m.reasons) for m in group.misses},
        "regressions": [regression_to_dict(r) for r in group.regressions],
        "run_ids": [r.run_id for r in group.records],
    }


def stats_to_dict(stats: FigureStats) -> dict[str, Any]:
    return {"target": stats.target, "last": stats.last, "p50": stats.p50, "p90": stats.p90,
            "worst": stats.worst, "measured_runs": stats.measured}


def regression_to_dict(regression: Regression) -> dict[str, Any]:
    return {"run_id": regression.run_id, "what": regression.what,
            "seconds": regression.seconds, "baseline_p50": regression.baseline_p50,
            "baseline_runs": regression.baseline_runs, "message": regression.message}


def restore_age_to_dict(age: RestoreAge) -> dict[str, Any]:
    return {"target": age.target, "last_validated_at": iso(age.last_validated_at),
            "run_id": age.run_id, "age_seconds": age.age_seconds,
            "failed_since": age.failed_since, "message": age.sentence}


def record_to_dict(record: RunRecord) -> dict[str, Any]:
    """One run as the report sees it (used by summaries)."""
    def figure(f: Any) -> dict[str, Any] | None:
        return None if f is None else {"seconds": f.seconds, "target": f.target, "met": f.met}

    return {"run_id": record.run_id, "kind": record.kind, "playbook": record.playbook,
            "status": str(record.status), "started_at": iso(record.started_at),
            "ended_at": iso(record.ended_at), "subject": record.subject,
            "rto": figure(record.rto), "rpo": figure(record.rpo),
            "targets_met": record.targets_met, "verdict": record.verdict}
