"""Fidelity fixes for S3 replication (part of `drctl.sandbox.fidelity`, which applies them).

AWS: a bucket with a replication configuration copies, asynchronously, every new object
version a client writes whose key matches an enabled rule's filter to the rule's destination
bucket: same key, same version id, same `LastModified`, same content and metadata. The replica
answers `x-amz-replication-status: REPLICA`; the source version `PENDING` until it has been
copied, `COMPLETED` after. A delete marker is replicated only when the rule's
`DeleteMarkerReplication` is `Enabled`. Replicas are never replicated again (two buckets
replicating to each other do not loop). `GetBucketReplication` answers the rules as they
were put: filter, delete-marker replication and destination (Replication Time Control included).

moto: stores the configuration and copies nothing; `GetBucketReplication` answers every rule
with an empty prefix filter and delete-marker replication disabled, whatever was put.

Here a write under a rule is handed to the sandbox's replicator (`drctl.sandbox.s3_replication`)
as a `VersionWritten`; the replicator decides when it is delivered (the injected lag) or lost
(an outage) and calls `deliver`, which writes the replica into moto's backend. Tested in
`tests/e2e/test_sandbox_s3.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend, s3_backends
from moto.s3.responses import S3Response

_STATUS = "_drctl_replication_status"
# Set while `deliver` writes a replica: the put_object hook must not replicate it again.
_DELIVERING = threading.local()
# moto's backends are process-global, so the sink that receives their writes is too.
_SINK: dict[str, Callable[[VersionWritten], None]] = {}


@dataclass(frozen=True)
class VersionWritten:
    """One object version (or delete marker) written to a bucket that replicates it."""

    source_bucket: str
    destination_bucket: str
    key: str
    version_id: str
    written_at: float          # the version's LastModified, unix seconds
    delete_marker: bool = False


def set_replication_sink(sink: Callable[[VersionWritten], None] | None) -> None:
    """Who is told of replicable writes (the sandbox's replicator); None: nobody."""
    if sink is None:
        _SINK.pop("sink", None)
    else:
        _SINK["sink"] = sink


def _rules(backend: S3Backend, bucket_name: str) -> list[dict[str, Any]]:
    config = backend.get_bucket_replication(bucket_name) or {}
    return [rule for rule in config.get("Rule", []) if rule.get("Status") == "Enabled"]


def rule_prefix(rule: dict[str, Any]) -> str | None:
    """The key prefix a rule covers ('' = every key); None for a tag filter, which the
    sandbox does not evaluate (it replicates nothing under such a rule)."""
    filter_ = rule.get("Filter")
    if filter_ is None:
        return str(rule.get("Prefix") or "")
    if "And" in filter_:
        and_ = filter_["And"] or {}
        return None if and_.get("Tag") else str(and_.get("Prefix") or "")
    if "Tag" in filter_:
        return None
    return str(filter_.get("Prefix") or "")


def _destination(backend: S3Backend, bucket_name: str, key: str,
                 delete_marker: bool) -> str | None:
    for rule in sorted(_rules(backend, bucket_name), key=lambda r: -int(r.get("Priority", 1))):
        prefix = rule_prefix(rule)
        if prefix is None or not key.startswith(prefix):
            continue
        markers = (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"
        if delete_marker and not markers:
            return None
        return str(rule["Destination"]["Bucket"]).split(":::")[-1]
    return None


def _announce(backend: S3Backend, bucket_name: str, version: Any, marker: bool) -> None:
    sink = _SINK.get("sink")
    if getattr(_DELIVERING, "active", False) or sink is None:
        return
    destination = _destination(backend, bucket_name, version.name, marker)
    if destination is None:
        return
    setattr(version, _STATUS, "PENDING")
    sink(VersionWritten(bucket_name, destination, version.name, str(version.version_id),
                        version.last_modified.timestamp(), marker))


def put_object(self: S3Backend, bucket_name: str, key_name: str, value: bytes,
               *args: Any, **kwargs: Any) -> FakeKey:
    key: FakeKey = _ORIGINALS["s3_put_object"](self, bucket_name, key_name, value, *args, **kwargs)
    _announce(self, bucket_name, key, marker=False)
    return key


def set_delete_marker(self: S3Backend, bucket_name: str, key_name: str) -> FakeDeleteMarker:
    marker: FakeDeleteMarker = _ORIGINALS["s3_set_delete_marker"](self, bucket_name, key_name)
    _announce(self, bucket_name, marker, marker=True)
    return marker


def deliver(written: VersionWritten) -> bool:
    """Write the replica of `written` into its destination bucket. False when there is nothing
    to deliver (the source version was deleted since, or the destination is gone)."""
    backend = _backend_of(written.source_bucket)
    source = _version(backend, written.source_bucket, written.key, written.version_id)
    if source is None or written.destination_bucket not in backend.buckets:
        return False
    destination = backend.get_bucket(written.destination_bucket)
    _DELIVERING.active = True
    try:
        if isinstance(source, FakeDeleteMarker):
            replica: Any = FakeDeleteMarker(key=source.key)
            destination.keys[written.key] = replica
        else:
            replica = backend.put_object(written.destination_bucket, written.key, source.value,
                                         disable_notification=True)
            replica.set_metadata(dict(source.metadata), replace=True)
            setattr(replica, _STATUS, "REPLICA")
        replica._version_id = source.version_id
        replica.last_modified = source.last_modified
    finally:
        _DELIVERING.active = False
    setattr(source, _STATUS, "COMPLETED")
    return True


def _backend_of(bucket_name: str) -> S3Backend:
    partition, account = s3_backends.bucket_accounts.get(bucket_name, ("aws", "123456789012"))
    backend: S3Backend = s3_backends[account][partition]
    return backend


def _version(backend: S3Backend, bucket_name: str, key: str, version_id: str) -> Any:
    if bucket_name not in backend.buckets:
        return None
    versions = backend.get_bucket(bucket_name).keys.getlist(key, [])
    return next((v for v in versions if str(v.version_id) == version_id), None)


def response_dict(self: FakeKey) -> dict[str, Any]:
    headers: dict[str, Any] = _ORIGINALS["s3_replication_status"].fget(self)
    status = getattr(self, _STATUS, None)
    if status:
        headers["x-amz-replication-status"] = status
    return headers


def get_bucket_replication(self: S3Response) -> Any:
    """The rules as they were put (moto answers an empty filter and no delete markers)."""
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        return _ORIGINALS["s3_get_bucket_replication"](self)  # moto's own NotFound error
    rules = [_rule_as_put(rule) for rule in replication["Rule"]]
    return self.serialized(ActionResult({"ReplicationConfiguration": {
        "Role": replication["Role"], "Rules": rules}}))


def _rule_as_put(rule: dict[str, Any]) -> dict[str, Any]:
    answered = {key: rule[key] for key in ("ID", "Priority", "Status", "Destination")}
    answered["Priority"] = int(rule.get("Priority", 1))
    filter_ = dict(rule.get("Filter") or {"Prefix": rule.get("Prefix")})
    if "Prefix" in filter_:
        filter_["Prefix"] = filter_["Prefix"] or ""  # the XML parser reads <Prefix/> as None
    answered["Filter"] = filter_
    answered["DeleteMarkerReplication"] = (rule.get("DeleteMarkerReplication")
                                           or {"Status": "Disabled"})
    return answered


_ORIGINALS: dict[str, Any] = {}

FIXES: dict[str, tuple[type, str, Any]] = {
    "s3_put_object": (S3Backend, "put_object", put_object),
    "s3_set_delete_marker": (S3Backend, "_set_delete_marker", set_delete_marker),
    "s3_replication_status": (FakeKey, "response_dict", property(response_dict)),
    "s3_get_bucket_replication": (S3Response, "get_bucket_replication", get_bucket_replication),
}


def apply_s3_fixes() -> list[str]:
    """Patch moto's S3 in this process. Idempotent. Returns the names of the fixes."""
    for name, (owner, attribute, fix) in FIXES.items():
        if name not in _ORIGINALS:
            _ORIGINALS[name] = getattr(owner, attribute)
            setattr(owner, attribute, fix)
    return sorted(FIXES)
