"""Chaos Toolkit probes (python provider, `module: drctl.chaos.probes`) for what
chaostoolkit-aws does not measure: how many of a group's instances really run, and how fresh the
replicated data is. They act in `configuration["aws_region"]` (else the environment's region),
through drctl's adapters, and raise on failure -- chaoslib records that as a failed probe.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.core.errors import DrctlError

ASG_TAG = "aws:autoscaling:groupName"


def running_instances(group: str, configuration: dict[str, Any] | None = None) -> int:
    """How many EC2 instances of Auto Scaling group `group` are in state `running`.

    (chaostoolkit-aws's `count_instances` counts reservations, and an ASG's `InService`
    count does not notice an instance that was stopped behind its back.)"""
    region = _region(configuration)
    states = _aws().ec2(region).instance_states(ASG_TAG, group)
    return sum(1 for state in states.values() if state == "running")


def running_tasks(cluster: str, service: str,
                  configuration: dict[str, Any] | None = None) -> int:
    """The ECS service's `runningCount`: tasks up and serving, not merely desired."""
    region = _region(configuration)
    return _aws().ecs(region).services(cluster, [service])[service].running


def heartbeat_age(table: str, writer: str, attribute: str = "written_at",
                  region: str | None = None,
                  configuration: dict[str, Any] | None = None) -> float:
    """Seconds since the newest heartbeat of `writer` in `table` (a strongly consistent read)
    -- in the secondary region, that is how much data a failover now would lose. `region`
    overrides the experiment's."""
    region = region or _region(configuration)
    item = _aws().dynamodb(region).get_item(table, {"writer": writer})
    if not item or not isinstance(item.get(attribute), Decimal | int | float):
        raise DrctlError(f"no heartbeat of {writer} in {table} ({region})")
    return round(time.time() - float(item[attribute]), 3)


def alarm_state(alarm: str, region: str | None = None,
                configuration: dict[str, Any] | None = None) -> str:
    """The alarm's state (`OK`, `ALARM`, `INSUFFICIENT_DATA`), read as a failover reads it:
    through drctl's adapter and its adaptive retries. (chaostoolkit-aws's
    `get_alarm_state_value` uses a client with botocore's default retries: under injected
    throttling and 5xx errors it gives up after three attempts, which is not what drctl's
    detection does.) `region` overrides the experiment's."""
    (state,) = _aws().cloudwatch(region or _region(configuration)).alarms([alarm])
    return state.state


def failover_reads(table: str, writer: str, alarm: str, reads: int = 25,
                   configuration: dict[str, Any] | None = None) -> dict[str, int]:
    """Read, `reads` times each and as fast as they answer, what a failover depends on: the
    heartbeat item (DynamoDB) and a detection alarm (CloudWatch) -- through drctl's adapters,
    with their adaptive retries. Under API throttling and 5xx errors every read must still
    succeed (raises otherwise). Returns how many of each succeeded."""
    region = _region(configuration)
    aws = _aws()
    for _ in range(reads):
        aws.dynamodb(region).get_item(table, {"writer": writer})
        aws.cloudwatch(region).alarms([alarm])
    return {"heartbeat_reads": reads, "alarm_reads": reads}


def _region(configuration: dict[str, Any] | None) -> str:
    region = (configuration or {}).get("aws_region") or os.environ.get(
        "AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise DrctlError("no AWS region: set aws_region in the experiment's configuration")
    return str(region)


def _aws() -> Aws:
    # A fresh factory per call, as chaostoolkit-aws does: probes run rarely, in threads.
    return Aws(ClientFactory(profile=os.environ.get("AWS_PROFILE")))
