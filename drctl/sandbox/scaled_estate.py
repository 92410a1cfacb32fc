"""A larger estate of the Roadtrip shape, for benchmarks: `drctl sandbox up --estate-size N`.

Real estates have hundreds of services; the seeded Roadtrip estate has three. On top of it, a
scaled estate adds, in both regions, N ECS services spread over clusters of at most
`SERVICES_PER_CLUSTER`, N/10 auto scaling groups and N weighted Route53 records (a pair per
name, like `api`): production size in the primary, one task / instance of warm standby in the
secondary. `drctl sandbox playbook` prints the playbook that fails all of it over.

Seeding goes through the AWS API like the rest of the estate, as the sandbox's own (fault-free)
caller, before the sandbox says it is ready.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import yaml

from drctl.sandbox import estate
from drctl.sandbox.estate import PRIMARY, REGIONS, SECONDARY

NAMED_SIZES = {"small": 10, "medium": 50, "large": 200}
MAX_SERVICES = 1000
SERVICES_PER_CLUSTER = 25
PRODUCTION_TASKS = 2
GROUP_DESIRED = {PRIMARY: 2, SECONDARY: 1}
CHANGES_PER_BATCH = 500  # Route53 takes at most 1,000 changes in one batch


def parse_estate_size(text: str) -> int:
    """`200` or a named size (`small`, `medium`, `large`). Raises ValueError with the choices."""
    value = NAMED_SIZES.get(text.strip().lower())
    if value is None:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a size: use a number of services (0-{MAX_SERVICES}) or one of "
                + ", ".join(f"{k} ({v})" for k, v in NAMED_SIZES.items())
            ) from None
    if not 0 <= value <= MAX_SERVICES:
        raise ValueError(f"estate size must be between 0 and {MAX_SERVICES} services, not {value}")
    return value


@dataclass(frozen=True)
class ScaledEstate:
    """The names of the extra resources for `services` services (0: none)."""

    services: int

    @property
    def clusters(self) -> dict[str, list[str]]:
        per = SERVICES_PER_CLUSTER
        names = [f"svc-{i:04d}" for i in range(self.services)]
        return {f"roadtrip-scaled-{c:02d}": names[c * per:(c + 1) * per]
                for c in range(math.ceil(self.services / per))}

    @property
    def groups(self) -> list[str]:
        return [f"roadtrip-scaled-workers-{g:03d}" for g in range(self.services // 10)]

    @property
    def records(self) -> list[str]:
        return [f"svc-{i:04d}.{estate.ZONE_NAME}" for i in range(self.services)]


def seed_scaled(clients: Any, scaled: ScaledEstate, zone_id: str,
                subnets: dict[str, str]) -> dict[str, Any]:
    """Create the extra resources in both regions; returns their counts."""
    if scaled.services == 0:
        return {"services": 0}
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(_seed_cluster, clients.client("ecs", region), region, cluster, names)
                for region in REGIONS for cluster, names in scaled.clusters.items()]
        jobs += [pool.submit(_seed_group, clients.client("autoscaling", region), region, group,
                             subnets[region])
                 for region in REGIONS for group in scaled.groups]
        for job in jobs:
            job.result()
    _seed_records(clients.client("route53", PRIMARY), zone_id, scaled.records)
    return {"services": scaled.services, "clusters": len(scaled.clusters),
            "groups": len(scaled.groups), "records": len(scaled.records)}


def _seed_cluster(ecs: Any, region: str, cluster: str, services: list[str]) -> None:
    ecs.create_cluster(clusterName=cluster)
    family = f"{cluster}-task"
    container = {"name": "app", "image": "roadtrip/api:stable", "memory": 256}
    ecs.register_task_definition(family=family, containerDefinitions=[container])
    desired = PRODUCTION_TASKS if region == PRIMARY else 1
    for name in services:
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family,
                           desiredCount=desired)


def _seed_group(autoscaling: Any, region: str, group: str, subnet_id: str) -> None:
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=group,
        LaunchTemplate={"LaunchTemplateName": estate.WORKERS_LAUNCH_TEMPLATE, "Version": "$Latest"},
        MinSize=1, MaxSize=8, DesiredCapacity=GROUP_DESIRED[region], VPCZoneIdentifier=subnet_id,
    )


def _seed_records(route53: Any, zone_id: str, names: list[str]) -> None:
    changes = [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": "CNAME", "SetIdentifier": region,
            "Weight": estate.API_WEIGHTS[region], "TTL": estate.RECORD_TTL,
            "ResourceRecords": [{"Value": estate.regional_api_host(region)}]}}
        for name in names for region in REGIONS
    ]
    for start in range(0, len(changes), CHANGES_PER_BATCH):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": changes[start:start + CHANGES_PER_BATCH]})


def playbook_yaml(scaled: ScaledEstate, replication_lag_seconds: float = 5.0) -> str:
    """The playbook that fails the whole scaled estate over, Roadtrip's plus the extras."""
    document = {
        "version": 1,
        "name": f"roadtrip-scaled-{scaled.services}",
        "description": f"Generated by `drctl sandbox playbook`: the Roadtrip estate plus "
                       f"{scaled.services} services, {len(scaled.groups)} groups and "
                       f"{len(scaled.records)} records",
        "targets": {"rto": "1h", "rpo": "15m"},
        "regions": {
            PRIMARY: {"role": "primary",
                      "endpoint": "${ROADTRIP_API_US_EAST_1:-https://api-us-east-1.roadcopilot.com}"},
            SECONDARY: {"role": "secondary",
                        "endpoint": "${ROADTRIP_API_US_WEST_2:-https://api-us-west-2.roadcopilot.com}"},
        },
        "detection": {"alarms": ["roadtrip-api-5xx-{region}", "roadtrip-api-latency-{region}"]},
        "confirmation": {"mode": "prompt", "timeout": "15m"},
        "dns": {
            "zone": estate.ZONE_NAME,
            "records": [{"name": name, "type": "CNAME", "routing": "weighted"}
                        for name in [estate.API_RECORD, *scaled.records]],
            "weight": 100, "timeout": "5m",
        },
        "scale": {
            "timeout": "15m",
            "ecs": [{"cluster": estate.CLUSTER, "services": estate.SERVICE_COUNTS[PRIMARY]}] + [
                {"cluster": cluster, "services": dict.fromkeys(names, PRODUCTION_TASKS)}
                for cluster, names in scaled.clusters.items()],
            "autoscaling": [{"group": estate.WORKERS_ASG,
                             "desired": estate.WORKERS_SIZES[PRIMARY].desired}] + [
                {"group": group, "desired": GROUP_DESIRED[PRIMARY]} for group in scaled.groups],
            "rds_promote": {"replicas": {SECONDARY: estate.DB_REPLICA}},
        },
        "smoke_tests": {"timeout": "5m", "interval": "1s", "checks": [
            {"name": "api-health", "url": "{endpoint}/health", "expect_status": 200}]},
        "rpo": [{"heartbeat": {"table": estate.HEARTBEATS_TABLE,
                               "key": {"writer": "{failed_region}"},
                               "timestamp_attribute": "written_at"}}],
        "notify": [{"console": {}}],
    }
    header = ("# Generated by `drctl sandbox playbook` for a sandbox started with "
              f"--estate-size {scaled.services}.\n")
    return header + yaml.safe_dump(document, sort_keys=False, width=100)
