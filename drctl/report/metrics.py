"""A finished run's figures as CloudWatch metrics, so teams alarm on them with what they have.

Namespace `drctl`; `RTOSeconds`, `RPOSeconds` (only when measured: no figure is never 0) and
`Succeeded` (1/0); exactly two dimensions, `Playbook` (its name) and `Kind`; published in the
region the run ended in, stamped with the time it ended.
"""

from __future__ import annotations

from drctl.aws.cloudwatch import MetricDatum
from drctl.aws.estate import Aws
from drctl.core.run import RunStatus
from drctl.report.records import RunRecord

NAMESPACE = "drctl"


def run_metrics(record: RunRecord, playbook: str | None = None) -> list[MetricDatum]:
    """`playbook`: the dimension's value for a run that names none (a runbook run's playbook,
    which it took its targets and channels from)."""
    dimensions = (("Playbook", record.playbook or playbook or "-"), ("Kind", record.kind))
    at = record.ended_at or record.started_at
    data = [MetricDatum("Succeeded", 1.0 if record.status is RunStatus.SUCCEEDED else 0.0,
                        "Count", dimensions, at)]
    for name, figure in (("RTOSeconds", record.rto), ("RPOSeconds", record.rpo)):
        if figure is not None and figure.seconds is not None:
            data.append(MetricDatum(name, figure.seconds, "Seconds", dimensions, at))
    return data


class MetricsPublisher:
    """Publishes a run's metrics; `region` is used when the run does not name where it ended,
    `playbook` when it names no playbook. Raises what the adapter raises (the caller logs it:
    publishing is never fatal)."""

    def __init__(self, aws: Aws, region: str, playbook: str | None = None) -> None:
        self._aws, self._region, self._playbook = aws, region, playbook

    def __call__(self, record: RunRecord) -> str:
        region = record.region or self._region
        self._aws.cloudwatch(region).put_metrics(NAMESPACE, run_metrics(record, self._playbook))
        return region
