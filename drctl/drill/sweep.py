"""`drctl drill cleanup`: find drill resources by their tags and delete them.

For drills that could not clean up after themselves (SIGKILL, a lost machine). It looks in every
region the playbook names, deletes only resources tagged as this tool's drill resources, and
leaves alone those of a drill that is still running (its run in the journal, its process alive).
The sweep is journaled as a run of kind `drill-cleanup`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.clock import Clock
from drctl.core.durations import format_duration
from drctl.core.engine import Engine
from drctl.core.errors import UnknownRun
from drctl.core.run import Run, RunStatus
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.cleanup import CleanupFailed, CleanupReport, delete, tags_of
from drctl.drill.resources import (
    DRILL_TAG_KEYS,
    DYNAMODB_TABLE,
    RDS_INSTANCE,
    RDS_SNAPSHOT,
    RUN_TAG,
    S3_BUCKET,
    Resource,
    is_drill_resource,
)
from drctl.playbook.schema import Playbook
from drctl.store.base import Store, list_runs, load_run

# A table's CreationDateTime comes from AWS, a run's start from this host's clock.
CLOCK_SKEW = timedelta(minutes=2)

# Drill tables are named `<table>-drill-<run>`: only those are worth a ListTagsOfResource call.
_NAME_MARK = "-drill-"


def sweep_regions(playbook: Playbook) -> list[str]:
    regions = list(playbook.regions)
    for target in playbook.drills.targets if playbook.drills else []:
        regions += [target.region] + ([target.copy_to] if target.copy_to else [])
    return list(dict.fromkeys(regions))


def find_drill_resources(aws: Aws, regions: list[str]) -> list[tuple[Resource, str]]:
    """Every (resource, run id) tagged as a drill resource of this tool, in `regions`."""
    found: list[tuple[Resource, str]] = []
    for region in regions:
        ddb = aws.dynamodb_restore(region)
        for name in ddb.table_names():
            if _NAME_MARK in name:
                tags = ddb.tags(ddb.table(name).arn)
                if is_drill_resource(tags):
                    found.append((Resource(DYNAMODB_TABLE, region, name), tags[RUN_TAG]))
        found += _drill_buckets(aws, region)
        rds = aws.rds_restore(region)
        found += [(Resource(RDS_INSTANCE, region, db.identifier), db.tags[RUN_TAG])
                  for db in rds.instances() if is_drill_resource(db.tags)]
        found += [(Resource(RDS_SNAPSHOT, region, s.identifier), s.tags[RUN_TAG])
                  for s in rds.snapshots() if is_drill_resource(s.tags)]
    return found


def _drill_buckets(aws: Aws, region: str) -> list[tuple[Resource, str]]:
    buckets = aws.s3_restore(region)
    found = []
    for name in buckets.bucket_names():
        tags = buckets.bucket_tags(name) if _NAME_MARK in name else None
        if tags and is_drill_resource(tags):
            found.append((Resource(S3_BUCKET, region, name), tags[RUN_TAG]))
    return found


class Sweep:
    name = "sweep"
    policy = StepPolicy()

    def __init__(self, aws: Aws, store: Store, regions: list[str], clock: Clock,
                 foreign_grace: float = 3600.0) -> None:
        self.aws, self.store, self.regions = aws, store, regions
        self.clock, self.foreign_grace = clock, foreign_grace

    def plan(self, ctx: StepContext) -> list[Change]:
        return [Change(self.name, "delete", r.name, r.region, f"drill {run}")
                for r, run in find_drill_resources(self.aws, self.regions)]

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        report, skipped = CleanupReport(), []
        found = find_drill_resources(self.aws, self.regions)
        ctx.report(f"{len(found)} drill resource(s) in {', '.join(self.regions)}")
        for resource, run_id in sorted(found, key=lambda f: f[0].type != RDS_INSTANCE):
            busy = self._in_use(run_id)
            if busy:
                skipped.append({**resource.to_dict(), "run_id": run_id, "reason": busy})
                continue
            ctx.report(f"deleting {resource.describe()} of drill {run_id}")
            delete(self.aws, resource, None, report)
        left = self._untagged_leftovers({r.name for r, _ in found}, report)
        if report.failed or report.refused or left:
            raise CleanupFailed(report, left)
        return {"cleanup": report.to_dict(), "skipped": skipped, "regions": self.regions}

    def _untagged_leftovers(self, tagged: set[str], report: CleanupReport
                            ) -> list[dict[str, Any]]:
        """Tables and scratch buckets of this journal's drills that carry no drill tags:
        DynamoDB restores and CreateBucket (in the sandbox; on AWS only with s3:TagResource)
        take none, so a drill killed between creating and tagging leaves one. The journal
        holds the exact name; a resource of that name created after its drill started and
        carrying no foreign tags is that drill's, and is deleted. Anything else is reported,
        every time, until it is gone."""
        left = []
        for run in list_runs(self.store, "drill", limit=1000):
            resource = _journaled_resource(run)
            if (resource is None or resource.name in tagged
                    or run.effective_status in (RunStatus.RUNNING, RunStatus.WAITING)):
                continue
            reason = self._claim(resource, run, report)
            if reason:
                left.append({**resource.to_dict(), "run_id": run.run_id, "reason": reason})
        return left

    def _claim(self, resource: Resource, run: Run, report: CleanupReport) -> str | None:
        """Delete the drill's untagged table or bucket; the reason it was left, or None."""
        tags = tags_of(self.aws, resource)
        if tags is None:
            return None
        created = created_at(self.aws, resource)
        if created is None or run.started_at is None or \
                created < run.started_at - CLOCK_SKEW:
            return (f"created before its drill {run.run_id} started: not that drill's "
                    f"{_noun(resource)}; check it and delete it by hand")
        foreign = {k: v for k, v in tags.items() if k not in DRILL_TAG_KEYS}
        if foreign:
            return (f"carries tags drctl did not put there ({', '.join(sorted(foreign))}): "
                    "check it and delete it by hand")
        delete(self.aws, resource, run.run_id, report, claim=True)
        return None

    def _in_use(self, run_id: str) -> str | None:
        """Why the drill's resources must be left alone, or None to delete them."""
        try:
            run = load_run(self.store, run_id)
        except UnknownRun:
            # Another operator's drill (another journal): it may still be running there, so it
            # is left alone until it is older than any drill could be (its id holds its start).
            started = started_at(run_id)
            if started is None:
                return None
            age = (self.clock.now() - started).total_seconds()
            if age < self.foreign_grace:
                return (f"not in this journal and started {format_duration(age)} ago: it may "
                        "still be running elsewhere (--foreign-grace to change)")
            return None
        if run.effective_status in (RunStatus.RUNNING, RunStatus.WAITING):
            return "its drill is still running"
        return None


def _journaled_resource(run: Run) -> Resource | None:
    """The table or scratch bucket a drill's journal names (RDS resources are tagged when
    they are created, so a tag search finds them)."""
    name, region = run.params.get("drill_resource"), run.params.get("restore_region")
    kind = {"dynamodb": DYNAMODB_TABLE, "s3": S3_BUCKET}.get(
        str(run.params.get("target", "")).split(":", 1)[0])
    if not name or not region or kind is None:
        return None
    return Resource(kind, str(region), str(name))


def created_at(aws: Aws, resource: Resource) -> datetime | None:
    if resource.type == S3_BUCKET:
        return aws.s3_restore(resource.region).created_at(resource.name)
    return aws.dynamodb_restore(resource.region).table(resource.name).created_at


def _noun(resource: Resource) -> str:
    return "bucket" if resource.type == S3_BUCKET else "table"


def started_at(run_id: str) -> datetime | None:
    """The start time a run id carries (`dr-20261127T151538-7745d0`), if it has one."""
    parts = run_id.split("-")
    try:
        return datetime.strptime(parts[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None


def sweep(playbook: Playbook, aws: Aws, engine: Engine, foreign_grace: float = 3600.0) -> Run:
    """Delete every tagged drill resource not in use, journaled as a `drill-cleanup` run."""
    regions = sweep_regions(playbook)
    run_id = engine.start("drill-cleanup", {"playbook": playbook.name, "regions": regions,
                                            "foreign_grace_seconds": foreign_grace})
    return engine.execute(run_id, [Sweep(aws, engine.store, regions, engine.clock,
                                         foreign_grace)])
