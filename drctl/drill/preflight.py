"""Before a drill makes anything: does the target exist, and is there something to restore?

Every refusal here is InvalidInput (exit 2) with what to do about it, and happens before the run
starts, so a refused drill creates nothing. The answer, a RecoveryPoint, is what the restore
step restores from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drctl.core.clock import iso
from drctl.core.errors import InvalidInput, ResourceMissing
from drctl.drill.s3_protection import s3_protection_problem
from drctl.drill.s3_versions import versions_as_of
from drctl.drill.spec import DrillDeps, DrillSpec


@dataclass(frozen=True)
class RecoveryPoint:
    """What a drill restores from. `at` is None for "the latest restorable time", which is
    only known once the restore has been asked for."""

    kind: str
    source: str                   # table name, DB instance id
    at: datetime | None
    snapshot: str | None = None   # backup ARN or DB snapshot id/ARN
    window: tuple[datetime | None, datetime | None] | None = None


def preflight(spec: DrillSpec, deps: DrillDeps) -> RecoveryPoint:
    """Check the target and find its recovery point. Raises InvalidInput (exit 2)."""
    try:
        if spec.target.service == "dynamodb":
            return _dynamodb(spec, deps)
        if spec.target.service == "s3":
            return s3_preflight(spec, deps)
        return _rds(spec, deps)
    except ResourceMissing as exc:
        raise InvalidInput(f"drill target {spec.name} not found in {spec.region}: {exc}",
                           hint="check the playbook's drills: section") from exc


def s3_preflight(spec: DrillSpec, deps: DrillDeps) -> RecoveryPoint:
    """Versioning must be on (a restore as of T needs the versions); a replica drill needs an
    enabled rule replicating the whole prefix. Its `snapshot` is the replica bucket."""
    bucket = spec.target.resource
    problem = s3_protection_problem(deps.aws.s3(spec.region), bucket, spec.prefix,
                                    spec.kind == "replica")
    if problem:
        raise InvalidInput(f"drill target {spec.name} ({spec.region}): {problem}",
                           hint=f"aws s3api get-bucket-versioning --bucket {bucket}; aws s3api "
                                f"get-bucket-replication --bucket {bucket}")
    if spec.kind == "replica":
        rule = _replication_rule(deps, spec)
        return RecoveryPoint("replica", bucket, None, snapshot=rule)
    _check_window(spec, None, deps.clock.now())
    _something_to_restore(spec, deps, spec.at or deps.clock.now())
    return RecoveryPoint("versions", bucket, spec.at, window=(None, deps.clock.now()))


def _something_to_restore(spec: DrillSpec, deps: DrillDeps, at: datetime) -> None:
    """A prefix that held no object at T (a typo, a time before the first write) is bad
    input: refused before a scratch bucket is made, not a drill that validated 0 of 0."""
    bucket, prefix = spec.target.resource, spec.prefix
    if versions_as_of(deps.aws.s3(spec.region).versions(bucket, prefix), at):
        return
    raise InvalidInput(f"no object existed under s3://{bucket}/{prefix} at {iso(at)}: a "
                       "versions drill would have nothing to restore",
                       hint=f"the bucket's prefixes: aws s3api list-objects-v2 --bucket "
                            f"{bucket} --delimiter / --query 'CommonPrefixes[].Prefix' "
                            "--output text")


def _replication_rule(deps: DrillDeps, spec: DrillSpec) -> str:
    replication = deps.aws.s3(spec.region).replication(spec.target.resource)
    rule = next(r for r in replication.rules if r.covers(spec.prefix)) if replication else None
    assert rule is not None  # s3_protection_problem said there is one
    return rule.destination_bucket


def _dynamodb(spec: DrillSpec, deps: DrillDeps) -> RecoveryPoint:
    ddb, table = deps.aws.dynamodb_restore(spec.region), spec.target.resource
    ddb.table(table)
    if spec.kind == "snapshot":
        backup = ddb.latest_backup(table)
        if backup is None:
            raise InvalidInput(f"no backup of table {table} exists in {spec.region}: there is "
                               "nothing for a snapshot drill to restore",
                               hint=f"aws dynamodb create-backup --table-name {table} "
                                    "--backup-name ...; or drill --kind pitr")
        return RecoveryPoint("snapshot", table, backup.created_at, snapshot=backup.arn)
    window = ddb.pitr_window(table)
    if not window.enabled:
        raise InvalidInput(f"point-in-time recovery is not enabled on table {table} "
                           f"({spec.region}): a pitr drill has nothing to restore",
                           hint="aws dynamodb update-continuous-backups --table-name "
                                f"{table} --point-in-time-recovery-specification "
                                "PointInTimeRecoveryEnabled=true")
    _check_window(spec, window.earliest, window.latest)
    return RecoveryPoint("pitr", table, spec.at, window=(window.earliest, window.latest))


def _rds(spec: DrillSpec, deps: DrillDeps) -> RecoveryPoint:
    rds, db = deps.aws.rds_restore(spec.region), spec.target.resource
    profile = rds.profile(db)
    if spec.kind in ("snapshot", "cross-region"):
        snapshot = rds.latest_snapshot(db)
        if snapshot is None:
            raise InvalidInput(f"no snapshot of DB instance {db} exists in {spec.region}: "
                               "there is nothing for a snapshot drill to restore",
                               hint="enable automated backups, or take a manual snapshot")
        return RecoveryPoint(spec.kind, db, snapshot.created_at, snapshot=snapshot.arn
                             if spec.kind == "cross-region" else snapshot.identifier)
    if profile.backup_retention == 0:
        raise InvalidInput(f"DB instance {db} has automated backups off (retention 0): "
                           "point-in-time restore is not enabled",
                           hint="set a backup retention period of at least 1 day")
    window = rds.restore_window(db)
    earliest, latest = window if window else (None, profile.latest_restorable)
    _check_window(spec, earliest, latest)
    return RecoveryPoint("pitr", db, spec.at, window=(earliest, latest))


def _check_window(spec: DrillSpec, earliest: datetime | None, latest: datetime | None) -> None:
    if spec.at is None:
        return
    too_early = earliest is not None and spec.at < earliest
    too_late = latest is not None and spec.at > latest
    if too_early or too_late:
        raise InvalidInput(
            f"--at {iso(spec.at)} is outside the restorable window of {spec.name}: "
            f"{iso(earliest) or 'unknown'} .. {iso(latest) or 'unknown'}",
            hint="pick a time inside the window, or leave --at out for the latest")
