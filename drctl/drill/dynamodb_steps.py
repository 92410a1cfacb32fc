"""A DynamoDB drill's steps: restore (PITR or backup) into a drill table, wait, validate the data.

DynamoDB's restore calls take no tags, so the table is tagged as soon as the restore has been
asked for; the name (`<table>-drill-<run>`) is journaled in the run's params before that.
"""

from __future__ import annotations

from typing import Any

from drctl.aws.dynamodb_restore import DynamoDbRestore, Item
from drctl.core.clock import iso
from drctl.core.errors import StepFailed
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.drill.data_check import check_restored
from drctl.drill.preflight import RecoveryPoint
from drctl.drill.resources import DYNAMODB_TABLE, DrillState, Resource, drill_name, drill_tags
from drctl.drill.spec import DrillDeps, DrillSpec

ITEMS_PER_SEGMENT = 10_000
MAX_SEGMENTS = 8


class _TableStep:
    policy = StepPolicy()

    def __init__(self, spec: DrillSpec, deps: DrillDeps, point: RecoveryPoint, state: DrillState,
                 run_id: str) -> None:
        self.spec, self.deps, self.point, self.state = spec, deps, point, state
        self.target = drill_name(spec.target.resource, run_id)
        self.run_id = run_id

    @property
    def ddb(self) -> DynamoDbRestore:
        return self.deps.aws.dynamodb_restore(self.spec.region)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []


class RestoreTable(_TableStep):
    name = "restore"

    def plan(self, ctx: StepContext) -> list[Change]:
        what = (f"backup {self.point.snapshot}" if self.point.kind == "snapshot"
                else f"{self.point.source} as of {iso(self.point.at) or 'latest restorable'}")
        return [Change(self.name, "restore table", self.target, self.spec.region, what,
                       "drill copy, tagged")]

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        self.state.requested_restore_point = self.point.at
        self.state.restore_started_at = ctx.now()
        self.state.created(Resource(DYNAMODB_TABLE, self.spec.region, self.target))
        ctx.report(f"restoring {self.point.source} into {self.target}")
        with ctx.creating():
            if self.point.kind == "snapshot":
                assert self.point.snapshot is not None
                self.ddb.restore_from_backup(self.point.snapshot, self.target)
                self.state.restore_point, source = self.point.at, f"backup:{self.point.snapshot}"
            else:
                self.ddb.restore_to_point_in_time(self.point.source, self.target, self.point.at)
                source = "pitr:RestoreSummary.RestoreDateTime"
            table = self.ddb.table(self.target)
            self.ddb.tag(table.arn, drill_tags(self.run_id))
        if self.point.kind == "pitr":
            # The time actually used, as AWS reports it (the latest restorable time moves).
            self.state.restore_point = table.restored_to or self.point.at
        self.state.restore_point_source = source
        return {"restored_table": self.target, "restore_started_at": iso(
            self.state.restore_started_at), "restore_point": iso(self.state.restore_point)}


class WaitForTable(_TableStep):
    name = "wait_available"

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        ctx.wait_until(lambda: self.ddb.table(self.target).active, timeout=self.spec.target.timeout,
                       interval=5.0 if self.spec.target.timeout > 60 else 1.0,
                       what=f"table {self.target} to be ACTIVE")
        self.state.available_at = ctx.now()
        return {"available_at": iso(self.state.available_at)}


class ValidateTable(_TableStep):
    """Data validation: see drctl.drill.data_check. Without a timestamp attribute only the
    count, checksum and sample keys can be checked."""

    name = "validate"

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        rules = self.spec.target.validation
        point = self.state.restore_point
        key = self.ddb.table(self.point.source).key
        samples = [_wire(s) for s in rules.sample_keys]
        if rules.timestamp_attribute is None or point is None:
            raise StepFailed(f"cannot validate {self.target}: the playbook names no "
                             "timestamp_attribute for this target")
        source, restored = self._read_both(ctx)
        result = check_restored(source, restored, key, rules.timestamp_attribute, point, samples,
                                commit_latency=rules.commit_latency)
        self.state.validation = result.to_dict()
        if not result.passed:
            raise StepFailed("validation failed: " + "; ".join(result.problems))
        self.state.validated_at = ctx.now()
        return {"validated_at": iso(self.state.validated_at),
                "restored_items": result.restored_items,
                "restored_checksum": result.restored_checksum,
                "effective_restore_point": result.effective_restore_point}


    def _read_both(self, ctx: StepContext) -> tuple[list[Item], list[Item]]:
        """The source and the restored copy, read at once, each in parallel segments when
        large (bench/drill.py measures this against a bare scan)."""
        segments = segments_for(self.ddb.item_count(self.point.source))
        ctx.report(f"reading {self.point.source} and {self.target}"
                   + (f" ({segments} segments each)" if segments > 1 else ""))
        read = self.ddb.all_items([self.point.source, self.target], segments)
        return read[self.point.source], read[self.target]


def segments_for(item_count: int) -> int:
    """One scan segment per ITEMS_PER_SEGMENT items, at most MAX_SEGMENTS: a small table is one
    request, a large one is read by several cursors at once."""
    return max(1, min(MAX_SEGMENTS, -(-item_count // ITEMS_PER_SEGMENT)))


def _wire(key: dict[str, str | int]) -> dict[str, Any]:
    return {k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in key.items()}
