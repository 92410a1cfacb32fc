"""ECS: read services' desired/running counts and scale them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


@dataclass(frozen=True)
class ServiceState:
    name: str
    desired: int
    running: int
    pending: int
    deployments: int

    @property
    def stable(self) -> bool:
        """What the ECS `services_stable` waiter checks: one deployment, running == desired."""
        return self.deployments == 1 and self.running == self.desired and self.pending == 0


class Ecs:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def services(self, cluster: str, names: list[str]) -> dict[str, ServiceState]:
        """States by name. Raises ResourceMissing for a missing cluster or service."""
        states: dict[str, ServiceState] = {}
        for start in range(0, len(names), 10):  # DescribeServices takes at most 10
            with aws_call(f"describe services in cluster {cluster}", self.region):
                response = self._client.describe_services(
                    cluster=cluster, services=names[start:start + 10]
                )
            for svc in response.get("services", []):
                if svc.get("status") == "ACTIVE":
                    states[svc["serviceName"]] = ServiceState(
                        svc["serviceName"], svc["desiredCount"], svc["runningCount"],
                        svc.get("pendingCount", 0), len(svc.get("deployments", [])) or 1,
                    )
        missing = [n for n in names if n not in states]
        if missing:
            raise ResourceMissing(
                f"ECS service(s) not found in cluster {cluster} ({self.region}): "
                + ", ".join(missing)
            )
        return states

    def scale_service(self, cluster: str, service: str, desired: int) -> None:
        with aws_call(f"scale ECS service {cluster}/{service}", self.region):
            self._client.update_service(cluster=cluster, service=service, desiredCount=desired)
