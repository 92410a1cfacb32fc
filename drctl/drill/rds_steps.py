"""An RDS drill's steps: (copy the snapshot across regions,) restore a drill instance, wait,
validate it against its source and run the playbook's validation hook.

Every resource is tagged in the call that creates it, so a drill killed at any point leaves
nothing `drctl drill cleanup` cannot find.
"""

from __future__ import annotations

from typing import Any

from drctl.aws.rds_restore import RdsRestore
from drctl.core.clock import iso
from drctl.core.errors import StepFailed
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.db_check import check_instance
from drctl.drill.preflight import RecoveryPoint
from drctl.drill.resources import (
    RDS_INSTANCE,
    RDS_SNAPSHOT,
    DrillState,
    Resource,
    drill_name,
    drill_tags,
)
from drctl.drill.spec import DrillDeps, DrillSpec


class _DbStep:
    policy = StepPolicy()

    def __init__(self, spec: DrillSpec, deps: DrillDeps, point: RecoveryPoint, state: DrillState,
                 run_id: str) -> None:
        self.spec, self.deps, self.point, self.state = spec, deps, point, state
        self.run_id = run_id
        self.target = drill_name(spec.target.resource, run_id)
        self.copy = drill_name(spec.target.resource, run_id, "copy")

    def rds(self, region: str | None = None) -> RdsRestore:
        return self.deps.aws.rds_restore(region or self.spec.restore_region)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def _wait(self, ctx: StepContext, ready: Any, what: str) -> None:
        timeout = self.spec.target.timeout
        ctx.wait_until(ready, timeout=timeout, interval=10.0 if timeout > 60 else 1.0, what=what)


class CopySnapshot(_DbStep):
    """Cross-region: copy the newest snapshot into `copy_to`, as a regional disaster needs."""

    name = "copy_snapshot"

    def plan(self, ctx: StepContext) -> list[Change]:
        return [Change(self.name, "copy DB snapshot", self.copy, self.spec.restore_region,
                       self.point.snapshot, "drill copy, tagged")]

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        assert self.point.snapshot is not None
        started = ctx.now()
        self.state.created(Resource(RDS_SNAPSHOT, self.spec.restore_region, self.copy))
        ctx.report(f"copying {self.point.snapshot} to {self.spec.restore_region}")
        with ctx.creating():
            self.rds().copy_snapshot_from(self.point.snapshot, self.spec.region, self.copy,
                                          self.spec.target.kms_key_id, drill_tags(self.run_id))

        def copied() -> bool:
            found = self.rds().snapshot(self.copy)
            return found is not None and found.status == "available"

        self._wait(ctx, copied, f"snapshot copy {self.copy} to be available")
        self.state.copy_seconds = round((ctx.now() - started).total_seconds(), 3)
        return {"snapshot_copy": self.copy, "copy_seconds": self.state.copy_seconds}


class RestoreInstance(_DbStep):
    name = "restore"

    def plan(self, ctx: StepContext) -> list[Change]:
        source = self.copy if self.point.kind == "cross-region" else (
            self.point.snapshot or f"{self.point.source} as of "
                                   f"{iso(self.point.at) or 'latest restorable'}")
        return [Change(self.name, "restore DB instance", self.target, self.spec.restore_region,
                       source, "drill instance, tagged")]

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        self.state.requested_restore_point = self.point.at
        self.state.restore_started_at = ctx.now()
        self.state.created(Resource(RDS_INSTANCE, self.spec.restore_region, self.target))
        tags, size = drill_tags(self.run_id), self.spec.target.instance_class
        ctx.report(f"restoring {self.point.source} into {self.target}")
        if self.point.kind == "pitr":
            # The latest restorable time, read just before: the point this restore gets.
            at = self.point.at or self.rds().profile(self.point.source).latest_restorable
            with ctx.creating():
                self.rds().restore_to_point_in_time(self.point.source, self.target, at, size,
                                                    tags)
            self.state.restore_point, source = at, "pitr:RestoreTime"
        else:
            snapshot = self.copy if self.point.kind == "cross-region" else self.point.snapshot
            assert snapshot is not None
            with ctx.creating():
                self.rds().restore_from_snapshot(snapshot, self.target, size, tags)
            self.state.restore_point = self.point.at
            source = f"snapshot:{self.point.snapshot}:OriginalSnapshotCreateTime"
        self.state.restore_point_source = source
        return {"restored_instance": self.target, "restore_point": iso(self.state.restore_point),
                "restore_started_at": iso(self.state.restore_started_at)}


class WaitForInstance(_DbStep):
    name = "wait_available"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        self._wait(ctx, lambda: self.rds().profile(self.target).status == "available",
                   f"DB instance {self.target} to be available")
        self.state.available_at = ctx.now()
        return {"available_at": iso(self.state.available_at)}


class ValidateInstance(_DbStep):
    name = "validate"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        source = self.rds(self.spec.region).profile(self.point.source)
        restored = self.rds().profile(self.target)
        ctx.report(f"comparing {self.target} with {self._restored_from()}")
        result = check_instance(source, restored, self._recorded(),
                                self.spec.target.validation.hook, self.spec.restore_region,
                                self.deps.run_hook, self.deps.http)
        self.state.validation = result
        if not result["passed"]:
            raise StepFailed("validation failed: " + "; ".join(result["problems"]))
        self.state.validated_at = ctx.now()
        return {"validated_at": iso(self.state.validated_at)}

    def _restored_from(self) -> str:
        if self.point.kind == "pitr":
            return f"{self.point.source} (point in time)"
        return f"snapshot {self.copy if self.point.kind == 'cross-region' else self.point.snapshot}"

    def _recorded(self) -> dict[str, Any] | None:
        """What the snapshot restored from recorded (None for a point-in-time restore)."""
        if self.point.kind == "pitr":
            return None
        snapshot_id = self.copy if self.point.kind == "cross-region" else self.point.snapshot
        assert snapshot_id is not None
        snapshot = self.rds().snapshot(snapshot_id)
        if snapshot is None:
            raise StepFailed(f"snapshot {snapshot_id} is gone: cannot compare the restore with it")
        return snapshot.recorded
