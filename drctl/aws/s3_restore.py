"""S3 for drills: scratch buckets (created, tagged, emptied, deleted) and copies of chosen
object versions into them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.aws.errors import absent_as_none, aws_call

_NO_BUCKET = {"NoSuchBucket", "404", "NotFound"}
_NO_TAGS = {"NoSuchTagSet", "NoSuchTagSetError"}


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str


class S3Restore:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def create_bucket(self, name: str) -> None:
        location = ({} if self.region == "us-east-1" else
                    {"CreateBucketConfiguration": {"LocationConstraint": self.region}})
        with aws_call(f"create bucket {name}", self.region):
            self._client.create_bucket(Bucket=name, **location)

    def tag_bucket(self, name: str, tags: dict[str, str]) -> None:
        with aws_call(f"tag bucket {name}", self.region):
            self._client.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
                {"Key": k, "Value": v} for k, v in tags.items()]})

    def bucket_tags(self, name: str) -> dict[str, str] | None:
        """The bucket's tags ({} for none); None when the bucket does not exist."""
        if absent_as_none(f"find bucket {name}", self.region,
                          lambda: self._client.head_bucket(Bucket=name), _NO_BUCKET) is None:
            return None
        found = absent_as_none(f"get tags of bucket {name}", self.region,
                               lambda: self._client.get_bucket_tagging(Bucket=name), _NO_TAGS)
        return {t["Key"]: t["Value"] for t in (found or {}).get("TagSet", [])}

    def bucket_names(self) -> list[str]:
        """Buckets in this region (ListBuckets answers every region's)."""
        with aws_call("list buckets", self.region):
            buckets = self._client.list_buckets().get("Buckets", [])
        return [b["Name"] for b in buckets if self._in_region(b)]

    def created_at(self, name: str) -> datetime | None:
        """When the bucket was created (ListBuckets' CreationDate); None if there is none."""
        with aws_call("list buckets", self.region):
            buckets = self._client.list_buckets().get("Buckets", [])
        return next((b.get("CreationDate") for b in buckets if b["Name"] == name), None)

    def copy_version(self, source_bucket: str, key: str, version_id: str, bucket: str) -> None:
        with aws_call(f"copy s3://{source_bucket}/{key}?versionId={version_id}", self.region):
            self._client.copy_object(Bucket=bucket, Key=key, CopySource={
                "Bucket": source_bucket, "Key": key, "VersionId": version_id})

    def objects(self, bucket: str, prefix: str = "") -> list[StoredObject]:
        """The current objects under `prefix`."""
        with aws_call(f"list s3://{bucket}/{prefix}", self.region):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix)
            return [StoredObject(o["Key"], int(o["Size"]), o["ETag"])
                    for page in pages for o in page.get("Contents", [])]

    def delete_bucket(self, name: str) -> None:
        """Every object version and delete marker, then the bucket."""
        with aws_call(f"empty and delete bucket {name}", self.region):
            pages = self._client.get_paginator("list_object_versions").paginate(Bucket=name)
            for page in pages:
                doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                          for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                if doomed:
                    self._client.delete_objects(Bucket=name, Delete={"Objects": doomed})
            self._client.delete_bucket(Bucket=name)

    def _in_region(self, bucket: dict[str, Any]) -> bool:
        region = bucket.get("BucketRegion")
        if region is None:
            with aws_call(f"locate bucket {bucket['Name']}", self.region):
                found = self._client.get_bucket_location(Bucket=bucket["Name"])
            region = found.get("LocationConstraint") or "us-east-1"
        return bool(region == self.region)
