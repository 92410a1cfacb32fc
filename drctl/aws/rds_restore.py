"""RDS restores for drills: snapshots, restore windows, restored instances, cross-region copies.

Drill resources are tagged at creation (RDS takes `Tags` on every restore and copy), so a drill
killed at any moment leaves nothing that `drctl drill cleanup` cannot find by its tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


@dataclass(frozen=True)
class DbProfile:
    """What a restored instance must share with its source, and where to reach it."""

    identifier: str
    arn: str
    status: str
    engine: str
    engine_version: str
    storage_type: str
    allocated_storage: int
    encrypted: bool
    parameter_groups: tuple[str, ...]
    option_groups: tuple[str, ...]
    kms_key_id: str | None
    backup_retention: int
    latest_restorable: datetime | None
    address: str | None
    port: int | None
    tags: dict[str, str] = field(default_factory=dict)

    def comparable(self) -> dict[str, Any]:
        return {"engine": self.engine, "engine_version": self.engine_version,
                "storage_type": self.storage_type, "allocated_storage": self.allocated_storage,
                "storage_encrypted": self.encrypted, "kms_key_id": self.kms_key_id,
                "option_group": ",".join(self.option_groups) or None,
                "parameter_groups": list(self.parameter_groups)}


@dataclass(frozen=True)
class DbSnapshot:
    identifier: str
    arn: str
    instance: str
    type: str
    status: str
    created_at: datetime           # OriginalSnapshotCreateTime: when the data was captured
    tags: dict[str, str] = field(default_factory=dict)
    # What the snapshot recorded of its instance, in DbProfile.comparable()'s names: what an
    # instance restored from it must have, whatever the source has become since.
    recorded: dict[str, Any] = field(default_factory=dict)


class RdsRestore:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def profile(self, identifier: str) -> DbProfile:
        """The instance. Raises ResourceMissing when it does not exist."""
        with aws_call(f"describe DB instance {identifier}", self.region):
            db = self._client.describe_db_instances(DBInstanceIdentifier=identifier)[
                "DBInstances"][0]
        return _profile(db)

    def exists(self, identifier: str) -> bool:
        try:
            self.profile(identifier)
        except ResourceMissing:
            return False
        return True

    def instances(self) -> list[DbProfile]:
        with aws_call("describe DB instances", self.region):
            pages = self._client.get_paginator("describe_db_instances").paginate()
            return [_profile(db) for page in pages for db in page["DBInstances"]]

    def restore_window(self, identifier: str) -> tuple[datetime, datetime] | None:
        """(earliest, latest) restorable time of the instance's automated backups, or None."""
        with aws_call(f"describe automated backups of {identifier}", self.region):
            found = self._client.describe_db_instance_automated_backups(
                DBInstanceIdentifier=identifier)["DBInstanceAutomatedBackups"]
        windows = [b["RestoreWindow"] for b in found
                   if b.get("RestoreWindow", {}).get("EarliestTime")]
        if not windows:
            return None
        return (min(w["EarliestTime"] for w in windows), max(w["LatestTime"] for w in windows))

    def latest_snapshot(self, identifier: str) -> DbSnapshot | None:
        """The newest available automated or manual snapshot of the instance, or None."""
        found = [s for s in self.snapshots(instance=identifier) if s.status == "available"]
        return max(found, key=lambda s: s.created_at, default=None)

    def snapshots(self, instance: str | None = None) -> list[DbSnapshot]:
        kwargs = {"DBInstanceIdentifier": instance} if instance else {}
        with aws_call("describe DB snapshots", self.region):
            pages = self._client.get_paginator("describe_db_snapshots").paginate(**kwargs)
            return [_snapshot(s) for page in pages for s in page["DBSnapshots"]]

    def snapshot(self, identifier: str) -> DbSnapshot | None:
        with aws_call(f"describe DB snapshot {identifier}", self.region):
            try:
                found = self._client.describe_db_snapshots(DBSnapshotIdentifier=identifier)
            except self._client.exceptions.DBSnapshotNotFoundFault:
                return None
        return _snapshot(found["DBSnapshots"][0]) if found["DBSnapshots"] else None

    def restore_from_snapshot(self, snapshot: str, target: str, instance_class: str | None,
                              tags: dict[str, str]) -> None:
        extra = {"DBInstanceClass": instance_class} if instance_class else {}
        with aws_call(f"restore snapshot {snapshot} as {target}", self.region):
            self._client.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=target, DBSnapshotIdentifier=snapshot,
                Tags=_tag_list(tags), **extra)

    def restore_to_point_in_time(self, source: str, target: str, at: datetime | None,
                                 instance_class: str | None, tags: dict[str, str]) -> None:
        """Restore `source` as of `at` (None: its latest restorable time) into `target`."""
        extra: dict[str, Any] = {"DBInstanceClass": instance_class} if instance_class else {}
        extra.update({"RestoreTime": at} if at else {"UseLatestRestorableTime": True})
        with aws_call(f"restore {source} to a point in time as {target}", self.region):
            self._client.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=target,
                Tags=_tag_list(tags), **extra)

    def copy_snapshot_from(self, source_arn: str, source_region: str, target: str,
                           kms_key_id: str | None, tags: dict[str, str]) -> None:
        """Copy a snapshot of another region into this one (called on the destination)."""
        extra = {"KmsKeyId": kms_key_id} if kms_key_id else {}
        with aws_call(f"copy snapshot {source_arn} to {target}", self.region):
            self._client.copy_db_snapshot(
                SourceDBSnapshotIdentifier=source_arn, TargetDBSnapshotIdentifier=target,
                SourceRegion=source_region, Tags=_tag_list(tags), **extra)

    def delete_instance(self, identifier: str) -> bool:
        """Delete without a final snapshot; False when it was already gone."""
        try:
            with aws_call(f"delete DB instance {identifier}", self.region):
                self._client.delete_db_instance(
                    DBInstanceIdentifier=identifier, SkipFinalSnapshot=True,
                    DeleteAutomatedBackups=True)
        except ResourceMissing:
            return False
        return True

    def delete_snapshot(self, identifier: str) -> bool:
        """Delete a manual snapshot; False when it was already gone."""
        if self.snapshot(identifier) is None:
            return False
        with aws_call(f"delete DB snapshot {identifier}", self.region):
            self._client.delete_db_snapshot(DBSnapshotIdentifier=identifier)
        return True


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _tags(raw: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in raw.get("TagList", [])}


def _profile(db: dict[str, Any]) -> DbProfile:
    endpoint = db.get("Endpoint") or {}
    return DbProfile(
        identifier=db["DBInstanceIdentifier"], arn=db.get("DBInstanceArn", ""),
        status=db["DBInstanceStatus"], engine=db.get("Engine", ""),
        engine_version=db.get("EngineVersion", ""), storage_type=db.get("StorageType", ""),
        allocated_storage=int(db.get("AllocatedStorage", 0)),
        encrypted=bool(db.get("StorageEncrypted")),
        parameter_groups=tuple(sorted(g["DBParameterGroupName"]
                                      for g in db.get("DBParameterGroups", []))),
        option_groups=tuple(sorted(g["OptionGroupName"]
                                   for g in db.get("OptionGroupMemberships", []))),
        kms_key_id=db.get("KmsKeyId"),
        backup_retention=int(db.get("BackupRetentionPeriod", 0)),
        latest_restorable=db.get("LatestRestorableTime"),
        address=endpoint.get("Address"), port=endpoint.get("Port"), tags=_tags(db),
    )


def _snapshot(raw: dict[str, Any]) -> DbSnapshot:
    return DbSnapshot(
        identifier=raw["DBSnapshotIdentifier"], arn=raw.get("DBSnapshotArn", ""),
        instance=raw.get("DBInstanceIdentifier", ""), type=raw.get("SnapshotType", ""),
        status=raw.get("Status", ""),
        created_at=raw.get("OriginalSnapshotCreateTime") or raw["SnapshotCreateTime"],
        tags=_tags(raw), recorded=_recorded(raw),
    )


def _recorded(raw: dict[str, Any]) -> dict[str, Any]:
    return {"engine": raw.get("Engine", ""), "engine_version": raw.get("EngineVersion", ""),
            "allocated_storage": int(raw.get("AllocatedStorage", 0)),
            "storage_encrypted": bool(raw.get("Encrypted")), "kms_key_id": raw.get("KmsKeyId"),
            "option_group": raw.get("OptionGroupName")}
