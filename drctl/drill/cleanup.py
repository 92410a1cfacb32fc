"""Deleting drill resources: after every drill, and in `drctl drill cleanup` after a crash.

A resource is deleted only when it carries this tool's drill tags (see drill.resources); one that
does not is reported as `refused`, never touched. Deleting something already gone is success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.errors import DrctlError
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.resources import (
    DYNAMODB_TABLE,
    RDS_INSTANCE,
    RUN_TAG,
    S3_BUCKET,
    DrillState,
    Resource,
    drill_tags,
    is_drill_resource,
)


@dataclass
class CleanupReport:
    deleted: list[dict[str, str]] = field(default_factory=list)
    already_gone: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)   # not tagged as ours
    failed: list[dict[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "failed" if self.failed or self.refused else "done"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "deleted": self.deleted,
                "already_gone": self.already_gone, "refused": self.refused,
                "failed": self.failed}


def tags_of(aws: Aws, resource: Resource) -> dict[str, str] | None:
    """The resource's tags, or None when it does not exist."""
    if resource.type == S3_BUCKET:
        return aws.s3_restore(resource.region).bucket_tags(resource.name)
    if resource.type == DYNAMODB_TABLE:
        ddb = aws.dynamodb_restore(resource.region)
        if not ddb.exists(resource.name):
            return None
        return ddb.tags(ddb.table(resource.name).arn)
    rds = aws.rds_restore(resource.region)
    if resource.type == RDS_INSTANCE:
        return rds.profile(resource.name).tags if rds.exists(resource.name) else None
    snapshot = rds.snapshot(resource.name)
    return snapshot.tags if snapshot else None


def delete(aws: Aws, resource: Resource, run_id: str | None, report: CleanupReport,
           claim: bool = False) -> None:
    """Delete `resource` if it is tagged as a drill resource (of `run_id`, when given).

    `claim`: the drill that asked for this very table (or scratch bucket) cleans up, and it
    carries no tags at all -- DynamoDB restores and CreateBucket take no tags, so a drill
    interrupted between creating and tagging leaves it so. The drill tags it as its own first,
    then deletes it.
    """
    entry = resource.to_dict()
    try:
        tags = tags_of(aws, resource)
        if tags is None:
            report.already_gone.append(entry)
            return
        if claim and run_id and not tags and resource.type in (DYNAMODB_TABLE, S3_BUCKET):
            tags = drill_tags(run_id)
            _tag(aws, resource, tags)
        if not is_drill_resource(tags) or (run_id and tags.get(RUN_TAG) != run_id):
            report.refused.append({**entry, "reason": "not tagged as this drill's resource"})
            return
        _delete(aws, resource)
        report.deleted.append(entry)
    except DrctlError as exc:
        report.failed.append({**entry, "error": str(exc)})


def _tag(aws: Aws, resource: Resource, tags: dict[str, str]) -> None:
    if resource.type == S3_BUCKET:
        aws.s3_restore(resource.region).tag_bucket(resource.name, tags)
        return
    ddb = aws.dynamodb_restore(resource.region)
    ddb.tag(ddb.table(resource.name).arn, tags)


def _delete(aws: Aws, resource: Resource) -> None:
    if resource.type == S3_BUCKET:
        aws.s3_restore(resource.region).delete_bucket(resource.name)
    elif resource.type == DYNAMODB_TABLE:
        aws.dynamodb_restore(resource.region).delete_table(resource.name)
    elif resource.type == RDS_INSTANCE:
        aws.rds_restore(resource.region).delete_instance(resource.name)
    else:
        aws.rds_restore(resource.region).delete_snapshot(resource.name)


class Cleanup:
    """The drill's last step, run whatever happened before it."""

    name = "cleanup"
    policy = StepPolicy()

    def __init__(self, aws: Aws, state: DrillState, run_id: str) -> None:
        self.aws, self.state, self.run_id = aws, state, run_id

    def plan(self, ctx: StepContext) -> list[Change]:
        return [Change(self.name, "delete", r.name, r.region) for r in self.state.resources]

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        report = CleanupReport()
        # Instances before snapshots: an instance may still be restoring from the snapshot.
        for resource in sorted(self.state.resources, key=lambda r: r.type != RDS_INSTANCE):
            ctx.report(f"deleting {resource.describe()}")
            delete(self.aws, resource, self.run_id, report, claim=True)
        self.state.cleanup = report.to_dict()
        if report.status != "done":
            raise CleanupFailed(report)
        return {"cleanup": self.state.cleanup}


class CleanupFailed(DrctlError):
    def __init__(self, report: CleanupReport, left: list[dict[str, Any]] | None = None) -> None:
        left = left or []
        lines = [f"{e['type']} {e['name']} ({e['region']}): {e.get('error') or e.get('reason')}"
                 for e in report.failed + report.refused + left]
        super().__init__("cleanup incomplete: " + "; ".join(lines),
                         hint="run `drctl drill cleanup` to retry")
        self.report = report
        self.left = left
