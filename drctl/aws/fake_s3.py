"""The fake's S3 for drills (see drctl/aws/fake.py): versioned buckets, replication rules,
scratch buckets and copies of chosen versions.

Bucket names are global, as on AWS: each bucket lives in one region (what `bucket_names` of a
region lists, where `create_bucket` puts it), and a client of any region reaches it. A bucket
keeps every version and delete marker of every key with the time it was written (`put`,
`delete`; `replicate` copies one version, id and all, as S3 replication does), so listing
versions, reading one and copying one behave as S3's do. LastModified is kept to the second,
as S3 gives it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from drctl.aws.not_faked import NoClient
from drctl.aws.s3 import S3, ObjectHead, ObjectVersion, Replication
from drctl.aws.s3_restore import S3Restore, StoredObject
from drctl.core.errors import AwsError, ResourceMissing


@dataclass
class FakeVersion:
    key: str
    version_id: str
    written_at: datetime
    body: bytes | None          # None: a delete marker

    @property
    def etag(self) -> str:
        return f'"{hashlib.md5(self.body or b"").hexdigest()}"'  # S3's ETag: MD5 of the body


@dataclass
class FakeBucket:
    region: str
    created_at: datetime
    versioning: str = "Enabled"           # Enabled, Suspended, '' (never enabled)
    replication: Replication | None = None
    tags: dict[str, str] = field(default_factory=dict)
    versions: list[FakeVersion] = field(default_factory=list)   # oldest first

    def current(self, key: str) -> FakeVersion | None:
        found = [v for v in self.versions if v.key == key]
        return found[-1] if found and found[-1].body is not None else None


@dataclass
class FakeBuckets:
    buckets: dict[str, FakeBucket] = field(default_factory=dict)
    _ids: int = 0

    def create(self, name: str, region: str, created_at: datetime,
               versioning: str = "Enabled") -> FakeBucket:
        self.buckets[name] = FakeBucket(region, created_at, versioning)
        return self.buckets[name]

    def put(self, bucket: str, key: str, body: bytes, at: datetime) -> FakeVersion:
        return self._write(bucket, key, body, at)

    def delete(self, bucket: str, key: str, at: datetime) -> FakeVersion:
        return self._write(bucket, key, None, at)

    def replicate(self, version: FakeVersion, to: str) -> None:
        """What S3 replication does: the same version (id, time, body) lands in `to`."""
        self.buckets[to].versions.append(replace(version))

    def _write(self, bucket: str, key: str, body: bytes | None, at: datetime) -> FakeVersion:
        self._ids += 1
        version = FakeVersion(key, f"v{self._ids}", at.replace(microsecond=0), body)
        self.buckets[bucket].versions.append(version)
        return version


class FakeS3(S3):
    def __init__(self, fake: FakeBuckets, region: str) -> None:
        super().__init__(NoClient("s3"), region)
        self.fake = fake

    def _bucket(self, name: str) -> FakeBucket:
        # Any region's client reaches a bucket (botocore follows S3's redirect to its region).
        found = self.fake.buckets.get(name)
        if found is None:
            raise ResourceMissing(f"bucket {name} not found")
        return found

    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectHead | None:
        found = self._version(bucket, key, version_id)
        if found is None or found.body is None:
            return None
        return ObjectHead(key, found.version_id, found.written_at, len(found.body), found.etag)

    def versioning(self, bucket: str) -> str:
        return self._bucket(bucket).versioning

    def replication(self, bucket: str) -> Replication | None:
        return self._bucket(bucket).replication

    def versions(self, bucket: str, prefix: str = "",
                 clock: Callable[[], datetime] | None = None) -> Iterator[ObjectVersion]:
        """One page: every version under `prefix`, newest of each key marked latest."""
        found = [v for v in self._bucket(bucket).versions if v.key.startswith(prefix)]
        at = clock() if clock else None
        for v in found:
            latest = v is [w for w in found if w.key == v.key][-1]
            yield ObjectVersion(v.key, v.version_id, v.written_at, latest, v.body is None,
                                len(v.body or b""), v.etag if v.body is not None else "", at)

    def read(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        found = self._version(bucket, key, version_id)
        if found is None or found.body is None:
            raise ResourceMissing(f"s3://{bucket}/{key} not found")
        return found.body

    def _version(self, bucket: str, key: str, version_id: str | None) -> FakeVersion | None:
        if version_id is None:
            return self._bucket(bucket).current(key)
        return next((v for v in self._bucket(bucket).versions
                     if v.key == key and v.version_id == version_id), None)


class FakeS3Restore(S3Restore):
    def __init__(self, fake: FakeBuckets, region: str, did: Callable[[str], None],
                 now: Callable[[], datetime]) -> None:
        super().__init__(NoClient("s3"), region)
        self.fake, self.did, self.now = fake, did, now

    def create_bucket(self, name: str) -> None:
        if name in self.fake.buckets:
            raise AwsError(f"bucket {name} already exists", code="BucketAlreadyOwnedByYou")
        self.fake.create(name, self.region, self.now(), versioning="")
        self.did("s3.create_bucket")

    def tag_bucket(self, name: str, tags: dict[str, str]) -> None:
        FakeS3(self.fake, self.region)._bucket(name).tags = dict(tags)
        self.did("s3.tag_bucket")

    def bucket_tags(self, name: str) -> dict[str, str] | None:
        found = self.fake.buckets.get(name)
        return dict(found.tags) if found is not None else None

    def bucket_names(self) -> list[str]:
        return [n for n, b in self.fake.buckets.items() if b.region == self.region]

    def created_at(self, name: str) -> datetime | None:
        found = self.fake.buckets.get(name)
        return found.created_at if found is not None else None

    def copy_version(self, source_bucket: str, key: str, version_id: str, bucket: str) -> None:
        body = FakeS3(self.fake, self.fake.buckets[source_bucket].region).read(
            source_bucket, key, version_id)
        FakeS3(self.fake, self.region)._bucket(bucket)
        self.fake.put(bucket, key, body, self.now())
        self.did("s3.copy_version")

    def objects(self, bucket: str, prefix: str = "") -> list[StoredObject]:
        found = FakeS3(self.fake, self.region)._bucket(bucket)
        keys = sorted({v.key for v in found.versions if v.key.startswith(prefix)})
        return [StoredObject(k, len(v.body or b""), v.etag) for k in keys
                if (v := found.current(k)) is not None]

    def delete_bucket(self, name: str) -> None:
        FakeS3(self.fake, self.region)._bucket(name)
        del self.fake.buckets[name]
        self.did("s3.delete_bucket")
