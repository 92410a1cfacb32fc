"""EC2 Auto Scaling: group capacity and in-service instances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


@dataclass(frozen=True)
class GroupState:
    name: str
    desired: int
    min_size: int
    max_size: int
    in_service: int


class AutoScaling:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def group(self, name: str) -> GroupState:
        return self.groups([name])[name]

    def groups(self, names: list[str]) -> dict[str, GroupState]:
        """States by name, 100 groups a call (the API's limit). ResourceMissing names the
        groups that do not exist."""
        states: dict[str, GroupState] = {}
        for start in range(0, len(names), 100):
            with aws_call(f"describe auto scaling groups {', '.join(names[start:start + 3])}"
                          f"{'…' if len(names) > start + 3 else ''}", self.region):
                pages = self._client.get_paginator("describe_auto_scaling_groups").paginate(
                    AutoScalingGroupNames=names[start:start + 100])
                for page in pages:
                    states.update((g["AutoScalingGroupName"], _state(g))
                                  for g in page["AutoScalingGroups"])
        missing = [n for n in names if n not in states]
        if missing:
            raise ResourceMissing(
                f"auto scaling group(s) not found in {self.region}: {', '.join(missing)}")
        return states

    def set_desired(self, name: str, desired: int) -> None:
        """Set desired capacity; AWS refuses a value above the group's MaxSize."""
        with aws_call(f"set desired capacity of {name}", self.region):
            self._client.set_desired_capacity(
                AutoScalingGroupName=name, DesiredCapacity=desired, HonorCooldown=False
            )


def _state(g: dict[str, Any]) -> GroupState:
    in_service = sum(
        1 for i in g.get("Instances", [])
        if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"
    )
    return GroupState(g["AutoScalingGroupName"], g["DesiredCapacity"], g["MinSize"],
                      g["MaxSize"], in_service)
