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
