"""The fake's RDS for drills (see drctl/aws/fake.py): instances with a restore window,
snapshots that keep what they recorded of their instance, restores and cross-region copies.

As on AWS: a restore or a copy is tagged in the call that makes it, a restored instance is
`creating` (and a copied snapshot `creating`) for a few polls before it is `available`, a
point-in-time restore outside the instance's window is refused, and a copied snapshot keeps its
OriginalSnapshotCreateTime -- the time its data was captured, not the copy's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from drctl.aws.not_faked import NoClient
from drctl.aws.rds_restore import DbProfile, DbSnapshot, RdsRestore
from drctl.core.errors import AwsError, ResourceMissing

ACCOUNT = "123456789012"


@dataclass
class FakeDatabases:
    """Instances and snapshots by (region, identifier); restore windows by (region, id).
    `restore_polls` / `copy_polls`: how many describes a new instance / copy stays creating."""

    instances: dict[tuple[str, str], DbProfile] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], DbSnapshot] = field(default_factory=dict)
    windows: dict[tuple[str, str], tuple[datetime, datetime]] = field(default_factory=dict)
    restore_polls: int = 1
    copy_polls: int = 1
    creating: dict[tuple[str, str], int] = field(default_factory=dict)

    def add_instance(self, region: str, profile: DbProfile,
                     window: tuple[datetime, datetime] | None = None) -> None:
        self.instances[(region, profile.identifier)] = profile
        if window is not None:
            self.windows[(region, profile.identifier)] = window

    def add_snapshot(self, region: str, snapshot: DbSnapshot) -> None:
        self.snapshots[(region, snapshot.identifier)] = snapshot

    def polled(self, key: tuple[str, str]) -> str:
        """The status a describe sees: `creating` while polls are left, then `available`."""
        left = self.creating.get(key, 0)
        if left <= 0:
            return "available"
        self.creating[key] = left - 1
        return "creating"


def instance_arn(region: str, identifier: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:db:{identifier}"


def snapshot_arn(region: str, identifier: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:snapshot:{identifier}"


class FakeRdsRestore(RdsRestore):
    def __init__(self, dbs: FakeDatabases, region: str, did: Callable[[str], None]) -> None:
        super().__init__(NoClient("rds"), region)
        self.fake, self.did = dbs, did

    def profile(self, identifier: str) -> DbProfile:
        key = (self.region, identifier)
        found = self.fake.instances.get(key)
        if found is None:
            raise ResourceMissing(f"DB instance {identifier} not found in {self.region}")
        return replace(found, status=self.fake.polled(key)) if key in self.fake.creating \
            else found

    def instances(self) -> list[DbProfile]:
        return [self.profile(ident) for region, ident in self.fake.instances
                if region == self.region]

    def restore_window(self, identifier: str) -> tuple[datetime, datetime] | None:
        return self.fake.windows.get((self.region, identifier))

    def snapshots(self, instance: str | None = None) -> list[DbSnapshot]:
        return [self._described(s) for (region, _), s in self.fake.snapshots.items()
                if region == self.region and instance in (None, s.instance)]

    def snapshot(self, identifier: str) -> DbSnapshot | None:
        found = self.fake.snapshots.get((self.region, identifier))
        return self._described(found) if found is not None else None

    def _described(self, snapshot: DbSnapshot) -> DbSnapshot:
        key = (self.region, snapshot.identifier)
        return replace(snapshot, status=self.fake.polled(key)) if key in self.fake.creating \
            else snapshot

    def restore_from_snapshot(self, snapshot: str, target: str, instance_class: str | None,
                              tags: dict[str, str]) -> None:
        found = self.fake.snapshots.get((self.region, snapshot))
        if found is None:
            raise ResourceMissing(f"DB snapshot {snapshot} not found in {self.region}")
        source = self._source_of(found.instance)
        recorded = found.recorded
        self._restored(target, replace(
            source, engine=recorded["engine"], engine_version=recorded["engine_version"],
            allocated_storage=recorded["allocated_storage"],
            encrypted=recorded["storage_encrypted"], kms_key_id=recorded["kms_key_id"]), tags)
        self.did("rds.restore_from_snapshot")

    def restore_to_point_in_time(self, source: str, target: str, at: datetime | None,
                                 instance_class: str | None, tags: dict[str, str]) -> None:
        origin = self.profile(source)
        window = self.fake.windows.get((self.region, source))
        if at is not None and window is not None and not window[0] <= at <= window[1]:
            raise AwsError(f"{at} is outside the restorable window of {source}",
                           code="InvalidRestoreFault")
        self._restored(target, origin, tags)
        self.did("rds.restore_to_point_in_time")

    def copy_snapshot_from(self, source_arn: str, source_region: str, target: str,
                           kms_key_id: str | None, tags: dict[str, str]) -> None:
        found = next((s for (region, _), s in self.fake.snapshots.items()
                      if region == source_region and s.arn == source_arn), None)
        if found is None:
            raise ResourceMissing(f"DB snapshot {source_arn} not found in {source_region}")
        recorded = {**found.recorded, "kms_key_id": kms_key_id or found.recorded["kms_key_id"]}
        copy = replace(found, identifier=target, arn=snapshot_arn(self.region, target),
                       type="manual", status="available", tags=dict(tags), recorded=recorded)
        self.fake.add_snapshot(self.region, copy)
        self.fake.creating[(self.region, target)] = self.fake.copy_polls
        self.did("rds.copy_snapshot")

    def delete_instance(self, identifier: str) -> bool:
        self.did("rds.delete_instance")
        return self.fake.instances.pop((self.region, identifier), None) is not None

    def delete_snapshot(self, identifier: str) -> bool:
        self.did("rds.delete_snapshot")
        return self.fake.snapshots.pop((self.region, identifier), None) is not None

    def _source_of(self, instance: str) -> DbProfile:
        """The instance a snapshot was taken of, in whichever region it lives."""
        found = next((p for (_, ident), p in self.fake.instances.items() if ident == instance),
                     None)
        if found is None:
            raise ResourceMissing(f"DB instance {instance} (the snapshot's) not found")
        return found

    def _restored(self, target: str, like: DbProfile, tags: dict[str, str]) -> None:
        if (self.region, target) in self.fake.instances:
            raise AwsError(f"DB instance {target} already exists", code="DBInstanceAlreadyExists")
        self.fake.instances[(self.region, target)] = replace(
            like, identifier=target, arn=instance_arn(self.region, target), status="available",
            address=f"{target}.{self.region}.rds.fake", port=5432, tags=dict(tags),
            backup_retention=0, latest_restorable=None)
        self.fake.creating[(self.region, target)] = self.fake.restore_polls
