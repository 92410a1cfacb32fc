"""An S3 drill's steps. `versions`: restore a bucket prefix as of T into a scratch bucket (tagged
as a drill resource), then check the restored objects against the versions chosen. `replica`:
check the replica bucket holds every source object older than the allowed lag.

The scratch bucket is named `<bucket>-drill-<run>`; it is recorded in the drill's state before
it is created, and tagged right after, so cleanup finds it either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drctl.aws.s3 import S3, ObjectVersion
from drctl.core.clock import iso
from drctl.core.errors import StepFailed
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.preflight import RecoveryPoint
from drctl.drill.resources import S3_BUCKET, DrillState, Resource, drill_name, drill_tags
from drctl.drill.s3_versions import (
    Restored,
    check_replica,
    check_versions,
    current_objects,
    sha256,
    versions_as_of,
)
from drctl.drill.spec import DrillDeps, DrillSpec


@dataclass
class Chosen:
    """What the restore step chose, for the validate step."""

    at: datetime | None = None
    versions: dict[str, ObjectVersion] = field(default_factory=dict)


class _BucketStep:
    policy = StepPolicy()

    def __init__(self, spec: DrillSpec, deps: DrillDeps, point: RecoveryPoint,
                 state: DrillState, run_id: str, chosen: Chosen) -> None:
        self.spec, self.deps, self.point, self.state = spec, deps, point, state
        self.run_id, self.chosen = run_id, chosen
        self.bucket = spec.target.resource
        self.scratch = drill_name(self.bucket, run_id)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False


class RestoreVersions(_BucketStep):
    name = "restore"

    def plan(self, ctx: StepContext) -> list[Change]:
        what = f"s3://{self.bucket}/{self.spec.prefix} as of {iso(self.point.at) or 'now'}"
        return [Change(self.name, "restore objects into bucket", self.scratch, self.spec.region,
                       what, "drill copy, tagged")]

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        s3, scratch = self.deps.aws.s3(self.spec.region), self.deps.aws.s3_restore(
            self.spec.region)
        at = self.point.at or ctx.now()
        self.state.requested_restore_point = self.point.at
        self.state.restore_started_at = ctx.now()
        ctx.report(f"choosing each key's version as of {iso(at)}")
        self.chosen.at = at
        self.chosen.versions = versions_as_of(s3.versions(self.bucket, self.spec.prefix), at)
        self.state.created(Resource(S3_BUCKET, self.spec.region, self.scratch))
        with ctx.creating():
            scratch.create_bucket(self.scratch)
            scratch.tag_bucket(self.scratch, drill_tags(self.run_id))
        ctx.report(f"copying {len(self.chosen.versions)} object version(s) into {self.scratch}")
        for version in self.chosen.versions.values():
            scratch.copy_version(self.bucket, version.key, version.version_id, self.scratch)
        self.state.restore_point, self.state.restore_point_source = at, "s3:versions"
        self.state.available_at = ctx.now()
        return {"scratch_bucket": self.scratch, "restore_point": iso(at),
                "objects": len(self.chosen.versions)}


class ValidateVersions(_BucketStep):
    name = "validate"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        s3, at = self.deps.aws.s3(self.spec.region), self.chosen.at
        if at is None:
            raise StepFailed("nothing was restored, so nothing can be validated")
        ctx.report(f"reading back {self.scratch}")
        restored = {o.key: Restored(o.key, o.size, sha256(s3.read(self.scratch, o.key)))
                    for o in self.deps.aws.s3_restore(self.spec.region).objects(self.scratch)}
        source = {k: sha256(s3.read(self.bucket, k, v.version_id))
                  for k, v in self.chosen.versions.items()}
        result = check_versions(self.chosen.versions, source, restored, at)
        self.state.validation = result.to_dict()
        if not result.passed:
            raise StepFailed("validation failed: " + "; ".join(result.problems))
        self.state.validated_at = ctx.now()
        return {"validated_at": iso(self.state.validated_at),
                "restored_objects": result.restored_objects, "checksum": result.checksum,
                "effective_restore_point": result.effective_restore_point}


class CheckReplica(_BucketStep):
    """Every current source object older than the allowed lag (`validation.replica_lag`, else
    the drill's RPO target) is in the replica bucket as the same version; newer ones are in
    flight, not judged. The recovery point is the oldest source write the replica lacked when
    read (none: the moment it was read), and the RPO its age at that moment -- how far behind
    the replica was, as a failover's S3 RPO measures it; not its age at the drill's start,
    which a write still in flight can postdate."""

    name = "validate"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        replica_bucket, s3 = str(self.point.snapshot), self.deps.aws.s3(self.spec.region)
        self.state.restore_started_at = ctx.now()
        allowed = self.spec.target.validation.replica_lag or self.spec.rpo_target
        self._wait_for_a_judgeable_object(ctx, s3, allowed)
        # The replica first, each page stamped with when it arrived, then the source: a key's
        # lag is judged against when that key of the replica was read.
        replica = list(s3.versions(replica_bucket, self.spec.prefix, clock=ctx.now))
        read_at = ctx.now()
        result = check_replica(s3.versions(self.bucket, self.spec.prefix), replica, read_at,
                               allowed)
        self.state.validation = {**result.to_dict(), "replica_bucket": replica_bucket}
        self.state.restore_point = result.complete_until or read_at
        self.state.rpo_measured_at = result.read_at or read_at
        self.state.restore_point_source = f"s3:replica:{replica_bucket}"
        if not result.passed:
            raise StepFailed("replica check failed: " + "; ".join(result.problems))
        self.state.available_at = self.state.validated_at = ctx.now()
        return {"replica_bucket": replica_bucket, "checked": result.checked,
                "in_flight": result.in_flight}


    def _wait_for_a_judgeable_object(self, ctx: StepContext, s3: S3, allowed: float) -> None:
        """Only objects older than the allowed lag can be judged: when every object is newer
        (a young bucket), wait until the oldest is old enough -- at most the lag itself."""
        source = current_objects(s3.versions(self.bucket, self.spec.prefix))
        oldest = min((v.last_modified for v in source.values()), default=None)
        if oldest is None:
            return
        wait = allowed - (ctx.now() - oldest).total_seconds() + 1.0
        if wait > 0:
            ctx.report(f"waiting {wait:.0f}s for an object older than the allowed lag")
            ctx.clock.sleep(min(wait, allowed + 1.0))


def steps_for(spec: DrillSpec, deps: DrillDeps, point: RecoveryPoint, state: DrillState,
              run_id: str) -> list[Any]:
    chosen = Chosen()
    args = (spec, deps, point, state, run_id, chosen)
    if spec.kind == "replica":
        return [CheckReplica(*args)]
    return [RestoreVersions(*args), ValidateVersions(*args)]
