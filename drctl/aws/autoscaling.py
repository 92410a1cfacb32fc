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
        with aws_call(f"describe auto scaling group {name}", self.region):
            groups = self._client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        if not groups["AutoScalingGroups"]:
            raise ResourceMissing(f"auto scaling group {name!r} not found in {self.region}")
        g = groups["AutoScalingGroups"][0]
        in_service = sum(
            1 for i in g.get("Instances", [])
            if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"
        )
        return GroupState(name, g["DesiredCapacity"], g["MinSize"], g["MaxSize"], in_service)

    def set_desired(self, name: str, desired: int) -> None:
        """Set desired capacity; AWS refuses a value above the group's MaxSize."""
        with aws_call(f"set desired capacity of {name}", self.region):
            self._client.set_desired_capacity(
                AutoScalingGroupName=name, DesiredCapacity=desired, HonorCooldown=False
            )
