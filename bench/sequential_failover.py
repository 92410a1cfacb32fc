"""The baseline: the failover script a team writes without drctl — plain boto3, one thing at a time.

Per record, one change batch and its boto3 waiter; per ECS service, an UpdateService and the
`services_stable` waiter; per auto scaling group, SetDesiredCapacity and a poll until the
instances are in service; then promote the replica and wait for it. Boto3's default (legacy)
retries absorb Route53's throttling, as they would for such a script.

The waiters run with a 1 s delay instead of boto3's defaults (Route53 30 s, ECS 15 s, RDS 30 s):
that favours the baseline, so drctl's advantage is, if anything, understated.
Not a benchmark of its own: `bench/failover.py` runs it as
`python -m bench.sequential_failover PLAYBOOK SOURCE TARGET` with the sandbox's environment.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import boto3
import yaml

WAIT = {"Delay": 1, "MaxAttempts": 600}


def run(playbook_path: str, source: str, target: str) -> dict[str, Any]:
    """Fail the playbook's estate over from `source` to `target`; returns what it did."""
    with open(playbook_path) as file:
        playbook = yaml.safe_load(file)
    r53 = boto3.client("route53", region_name=source)
    zone_id = _zone_id(r53, playbook["dns"]["zone"])
    weight = playbook["dns"].get("weight", 100)
    for record in playbook["dns"]["records"]:
        _switch_record(r53, zone_id, record["name"], record["type"], source, target, weight)
    ecs = boto3.client("ecs", region_name=target)
    for cfg in playbook["scale"]["ecs"]:
        for service, count in cfg["services"].items():
            ecs.update_service(cluster=cfg["cluster"], service=service, desiredCount=count)
            ecs.get_waiter("services_stable").wait(
                cluster=cfg["cluster"], services=[service], WaiterConfig=WAIT)
    asg = boto3.client("autoscaling", region_name=target)
    for cfg in playbook["scale"]["autoscaling"]:
        asg.set_desired_capacity(AutoScalingGroupName=cfg["group"],
                                 DesiredCapacity=cfg["desired"], HonorCooldown=False)
        _wait_in_service(asg, cfg["group"], cfg["desired"])
    replica = playbook["scale"].get("rds_promote", {}).get("replicas", {}).get(target)
    if replica:
        rds = boto3.client("rds", region_name=target)
        rds.promote_read_replica(DBInstanceIdentifier=replica)
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=replica, WaiterConfig=WAIT)
    return {"records": len(playbook["dns"]["records"]),
            "services": sum(len(c["services"]) for c in playbook["scale"]["ecs"])}


def _zone_id(r53: Any, zone: str) -> str:
    for page in r53.get_paginator("list_hosted_zones").paginate():
        for hz in page["HostedZones"]:
            if hz["Name"] == zone.rstrip(".") + ".":
                return str(hz["Id"]).split("/")[-1]
    raise SystemExit(f"no hosted zone {zone}")


def _switch_record(r53: Any, zone_id: str, name: str, type_: str, source: str, target: str,
                   weight: int) -> None:
    listed = r53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, StartRecordType=type_, MaxItems="2")
    changes = []
    for rr in listed["ResourceRecordSets"]:
        if rr["Name"].rstrip(".") != name.rstrip(".") or rr.get("SetIdentifier") not in (
                source, target):
            continue
        rr["Weight"] = weight if rr["SetIdentifier"] == target else 0
        changes.append({"Action": "UPSERT", "ResourceRecordSet": rr})
    change = r53.change_resource_record_sets(HostedZoneId=zone_id,
                                             ChangeBatch={"Changes": changes})
    r53.get_waiter("resource_record_sets_changed").wait(
        Id=change["ChangeInfo"]["Id"], WaiterConfig=WAIT)


def _wait_in_service(asg: Any, group: str, desired: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        found = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
        instances = found["AutoScalingGroups"][0].get("Instances", [])
        if sum(i["LifecycleState"] == "InService" for i in instances) >= desired:
            return
        time.sleep(1)
    raise SystemExit(f"auto scaling group {group} not at {desired} in service")


if __name__ == "__main__":
    print(json.dumps(run(*sys.argv[1:4])))
