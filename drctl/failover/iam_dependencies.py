"""The read-only grants for what a failover checks and measures beyond what it changes: the
S3 recovery point, the media buckets' replication (pre-flight), and the application's
dependencies in the target region (secrets, parameters, images)."""

from __future__ import annotations

from drctl.playbook.schema import Playbook

Statement = tuple[str, list[str], list[str]]


def dependency_statements(playbook: Playbook, account: str = "*") -> list[Statement]:
    regions = list(playbook.regions)
    statements: list[Statement] = []
    objects = sorted({f"arn:aws:s3:::{src.s3.bucket_in(region)}/"
                      f"{src.s3.key.replace('{failed_region}', failed)}"
                      for src in playbook.rpo_sources if src.s3
                      for region in regions for failed in regions})
    if objects:
        statements.append(("ReadObjectRecoveryPoint", ["s3:GetObject"], objects))
        buckets = sorted({f"arn:aws:s3:::{src.s3.bucket_in(region)}" for src in
                          playbook.rpo_sources if src.s3 for region in regions})
        statements.append(("CheckBucketReplication", [
            "s3:GetBucketVersioning", "s3:GetReplicationConfiguration"], buckets))
        # The replication configuration names its role: pre-flight checks it exists for S3.
        statements.append(("CheckReplicationRole", ["iam:GetRole"],
                           [f"arn:aws:iam::{account}:role/*"]))
    return statements + _app_dependencies(playbook, regions, account)


def _app_dependencies(playbook: Playbook, regions: list[str], account: str) -> list[Statement]:
    needs = playbook.dependencies
    statements: list[Statement] = []
    if needs.secrets:
        # A secret's ARN ends in a random six-character suffix.
        statements.append(("CheckSecrets", ["secretsmanager:DescribeSecret"], [
            f"arn:aws:secretsmanager:{r}:{account}:secret:{name}-??????"
            for r in regions for name in needs.secrets]))
    if needs.parameters:
        statements.append(("CheckParameters", ["ssm:GetParameter"], [
            f"arn:aws:ssm:{r}:{account}:parameter/{name.lstrip('/')}"
            for r in regions for name in needs.parameters]))
    if needs.images:
        services = [f"arn:aws:ecs:{r}:{account}:service/{entry.cluster}/{name}"
                    for r in regions for entry in needs.images for name in entry.services]
        statements.append(("ReadServices", ["ecs:DescribeServices"], services))
        # Which repositories the task definitions name is only known when they are read.
        statements.append(("CheckImages", ["ecs:DescribeTaskDefinition", "ecr:DescribeImages"],
                           ["*"]))
    return statements
