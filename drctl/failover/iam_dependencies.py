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
    return statements
