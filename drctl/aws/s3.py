"""S3: the newest version of an object (RPO), versioning and replication rules (validate,
pre-flight), and the versions of a prefix (drills)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.aws.errors import absent_as_none, aws_call

# What S3 answers for "there is none" (HeadObject answers a bare 404).
_ABSENT = {"404", "NoSuchKey", "NoSuchVersion", "ReplicationConfigurationNotFoundError",
           "NoSuchTagSet", "NoSuchTagSetError"}


@dataclass(frozen=True)
class ObjectHead:
    key: str
    version_id: str | None
    last_modified: datetime
    size: int
    etag: str
    replication_status: str | None = None   # PENDING, COMPLETED, FAILED, REPLICA


@dataclass(frozen=True)
class ObjectVersion:
    key: str
    version_id: str
    last_modified: datetime
    is_latest: bool
    delete_marker: bool = False
    size: int = 0
    etag: str = ""
    listed_at: datetime | None = None   # when its page of the listing was asked for


@dataclass(frozen=True)
class ReplicationRule:
    id: str
    enabled: bool
    prefix: str | None            # None: a tag filter (covers only tagged objects)
    destination_bucket: str
    delete_markers: bool
    time_control: bool            # Replication Time Control (and its CloudWatch metrics)

    def covers(self, prefix: str) -> bool:
        return self.enabled and self.prefix is not None and prefix.startswith(self.prefix)


@dataclass(frozen=True)
class Replication:
    role: str
    rules: tuple[ReplicationRule, ...]

    def rule_for(self, prefix: str, destination: str) -> ReplicationRule | None:
        """The enabled rule replicating every key under `prefix` to `destination`, if any."""
        return next((r for r in self.rules
                     if r.covers(prefix) and r.destination_bucket == destination), None)


class S3:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectHead | None:
        """The object's newest version (or `version_id`); None when it does not exist (or its
        newest version is a delete marker). Raises AwsError for anything else."""
        extra = {"VersionId": version_id} if version_id else {}
        found = self._none_if_absent(f"head s3://{bucket}/{key}", lambda: self._client.head_object(
            Bucket=bucket, Key=key, **extra))
        if found is None:
            return None
        return ObjectHead(key, found.get("VersionId"), found["LastModified"],
                          int(found.get("ContentLength", 0)), str(found.get("ETag", "")),
                          found.get("ReplicationStatus"))

    def versioning(self, bucket: str) -> str:
        """`Enabled`, `Suspended`, or '' (never enabled). Raises ResourceMissing for no bucket."""
        with aws_call(f"get versioning of bucket {bucket}", self.region):
            return str(self._client.get_bucket_versioning(Bucket=bucket).get("Status", ""))

    def replication(self, bucket: str) -> Replication | None:
        found = self._none_if_absent(f"get replication of bucket {bucket}",
                                     lambda: self._client.get_bucket_replication(Bucket=bucket))
        if found is None:
            return None
        config = found["ReplicationConfiguration"]
        return Replication(config.get("Role", ""),
                           tuple(_rule(r) for r in config.get("Rules", [])))

    def versions(self, bucket: str, prefix: str = "",
                 clock: Callable[[], datetime] | None = None) -> Iterator[ObjectVersion]:
        """Every version and delete marker under `prefix`, page by page; with `clock`, each
        stamped with when its page was asked for: a listing of a busy bucket is a moving
        picture, and a page shows the bucket as it was when asked (a slow answer, on a loaded
        server, is no newer for arriving late)."""
        with aws_call(f"list object versions of s3://{bucket}/{prefix}", self.region):
            pages = iter(self._client.get_paginator("list_object_versions").paginate(
                Bucket=bucket, Prefix=prefix))
            while True:
                at = clock() if clock else None
                page = next(pages, None)
                if page is None:
                    return
                for v in page.get("Versions", []):
                    yield ObjectVersion(v["Key"], v["VersionId"], v["LastModified"],
                                        v["IsLatest"], False, int(v["Size"]), v["ETag"], at)
                for m in page.get("DeleteMarkers", []):
                    yield ObjectVersion(m["Key"], m["VersionId"], m["LastModified"],
                                        m["IsLatest"], True, listed_at=at)

    def read(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        extra = {"VersionId": version_id} if version_id else {}
        with aws_call(f"get s3://{bucket}/{key}", self.region):
            body: bytes = self._client.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        return body


    def _none_if_absent(self, what: str, call: Any) -> Any:
        return absent_as_none(what, self.region, call, _ABSENT)


def _rule(rule: dict[str, Any]) -> ReplicationRule:
    destination = rule.get("Destination", {})
    return ReplicationRule(
        id=str(rule.get("ID", "")), enabled=rule.get("Status") == "Enabled",
        prefix=_prefix(rule),
        destination_bucket=str(destination.get("Bucket", "")).split(":::")[-1],
        delete_markers=(rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled",
        time_control=(destination.get("ReplicationTime") or {}).get("Status") == "Enabled")


def _prefix(rule: dict[str, Any]) -> str | None:
    filter_ = rule.get("Filter")
    if filter_ is None:
        return str(rule.get("Prefix") or "")
    if "And" in filter_:
        return None if filter_["And"].get("Tags") else str(filter_["And"].get("Prefix") or "")
    if "Tag" in filter_:
        return None
    return str(filter_.get("Prefix") or "")
