"""CloudWatch: alarm states (detection, guard rails) and the newest metric datapoint (RPO)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str
    updated_at: datetime
    reason: str


@dataclass(frozen=True)
class MetricDatum:
    name: str
    value: float
    unit: str                      # "Seconds", "Count", ...
    dimensions: tuple[tuple[str, str], ...]
    timestamp: datetime


class CloudWatch:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def alarms(self, names: list[str]) -> list[AlarmState]:
        """States of `names`, in that order. Raises ResourceMissing naming any that is absent."""
        with aws_call("describe alarms", self.region):
            found = {
                a["AlarmName"]: a
                for page in self._client.get_paginator("describe_alarms").paginate(
                    AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
                )
                for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
            }
        missing = [n for n in names if n not in found]
        if missing:
            raise ResourceMissing(f"alarm(s) not found in {self.region}: {', '.join(missing)}")
        # StateTransitionedTimestamp is when the state last *changed*; StateUpdatedTimestamp
        # also moves when the alarm is updated in place (older APIs and moto only have it).
        return [
            AlarmState(n, found[n]["StateValue"],
                       found[n].get("StateTransitionedTimestamp")
                       or found[n]["StateUpdatedTimestamp"],
                       found[n].get("StateReason", ""))
            for n in names
        ]

    def latest_datapoint(
        self, namespace: str, metric: str, dimensions: dict[str, str], now: datetime,
        window: timedelta = timedelta(minutes=15),
    ) -> tuple[float, datetime] | None:
        """The newest (Maximum, timestamp) of the metric in the last `window`, or None."""
        with aws_call(f"get metric statistics {namespace}/{metric}", self.region):
            response = self._client.get_metric_statistics(
                Namespace=namespace, MetricName=metric,
                Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
                StartTime=now - window, EndTime=now + timedelta(minutes=1),
                Period=60, Statistics=["Maximum"],
            )
        points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])
        if not points:
            return None
        return float(points[-1]["Maximum"]), points[-1]["Timestamp"]

    def put_metrics(self, namespace: str, data: list[MetricDatum]) -> None:
        """Publish `data` (at most 1000 per call, as CloudWatch allows)."""
        with aws_call(f"put metric data {namespace}", self.region):
            self._client.put_metric_data(Namespace=namespace, MetricData=[
                {"MetricName": d.name, "Value": d.value, "Unit": d.unit, "Timestamp": d.timestamp,
                 "Dimensions": [{"Name": k, "Value": v} for k, v in d.dimensions]}
                for d in data
            ])

    def metric_values(self, namespace: str, metric: str, dimensions: dict[str, str],
                      start: datetime, end: datetime, period: int = 60) -> list[float]:
        """Every value of the metric (Maximum per period) between start and end, oldest
        first: GetMetricData, for reading back what drctl published."""
        query = {"Id": "m", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
            "Period": period, "Stat": "Maximum"}}
        with aws_call(f"get metric data {namespace}/{metric}", self.region):
            response = self._client.get_metric_data(
                MetricDataQueries=[query], StartTime=start, EndTime=end,
                ScanBy="TimestampAscending")
        results = response.get("MetricDataResults", [])
        return [float(v) for v in results[0].get("Values", [])] if results else []
