"""EC2: the state of instances (chaos probes: how many workers are really running?)."""

from __future__ import annotations

from typing import Any

from drctl.aws.errors import aws_call


class Ec2:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def instance_states(self, tag: str, value: str) -> dict[str, str]:
        """Instance id -> state name (`running`, `stopped` …) of every instance tagged
        `tag=value`, terminated ones included."""
        states: dict[str, str] = {}
        with aws_call(f"describe instances tagged {tag}={value}", self.region):
            pages = self._client.get_paginator("describe_instances").paginate(
                Filters=[{"Name": f"tag:{tag}", "Values": [value]}])
            for page in pages:
                for reservation in page["Reservations"]:
                    for instance in reservation["Instances"]:
                        states[instance["InstanceId"]] = instance["State"]["Name"]
        return states
