"""S3 drills, the pure part: which version of each key a restore as of T takes, and whether the
restored objects are those versions. No AWS here: the steps (`s3_steps`) read and write.

As of T, a key holds its newest version written at or before T; when that newest entry is a
delete marker, the key did not exist at T and is not restored. S3 gives LastModified to the
second, so "at or before T" compares against T truncated to the second: a version written in
T's own second counts as before it (the restore point is T's second).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from drctl.aws.s3 import ObjectVersion
from drctl.core.clock import iso


def versions_as_of(versions: Iterable[ObjectVersion], at: datetime) -> dict[str, ObjectVersion]:
    """Key -> the version a restore as of `at` takes (delete markers honoured)."""
    cutoff = at.replace(microsecond=0)
    newest: dict[str, ObjectVersion] = {}
    for version in versions:
        if version.last_modified > cutoff:
            continue
        held = newest.get(version.key)
        if held is None or version.last_modified >= held.last_modified:
            newest[version.key] = version
    return {key: v for key, v in sorted(newest.items()) if not v.delete_marker}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Restored:
    """One restored object as read back: its size and the SHA-256 of its content."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class VersionsCheck:
    passed: bool
    restore_point: str | None
    expected_objects: int
    restored_objects: int
    matching_objects: int
    missing: list[str] = field(default_factory=list)      # chosen, not restored
    unexpected: list[str] = field(default_factory=list)   # restored, not chosen
    differing: list[str] = field(default_factory=list)    # size or checksum differs
    checksum: str = ""                                    # over "key sha256" lines, sorted
    effective_restore_point: str | None = None            # newest LastModified restored
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "s3-versions", **asdict(self)}


def check_versions(chosen: dict[str, ObjectVersion], source_sha: dict[str, str],
                   restored: dict[str, Restored], at: datetime, limit: int = 10) -> VersionsCheck:
    """The restored objects against the chosen versions: same keys, sizes and content."""
    missing = [k for k in chosen if k not in restored]
    unexpected = [k for k in restored if k not in chosen]
    differing = [k for k in chosen if k in restored and (
        restored[k].size != chosen[k].size or restored[k].sha256 != source_sha.get(k))]
    problems = _problems(chosen, missing, unexpected, differing)
    lines = sorted(f"{r.key} {r.sha256}" for r in restored.values())
    newest = max((v.last_modified for v in chosen.values()), default=None)
    return VersionsCheck(
        passed=not problems, restore_point=iso(at), expected_objects=len(chosen),
        restored_objects=len(restored),
        matching_objects=len(chosen) - len(missing) - len(differing),
        missing=missing[:limit], unexpected=unexpected[:limit], differing=differing[:limit],
        checksum=sha256("\n".join(lines).encode()), effective_restore_point=iso(newest),
        problems=problems)


def _problems(chosen: dict[str, ObjectVersion], missing: list[str], unexpected: list[str],
              differing: list[str]) -> list[str]:
    problems = []
    if not chosen:
        problems.append("nothing to validate: no object existed under the prefix at the "
                        "restore point (a drill that checks nothing proves nothing)")
    if missing:
        problems.append(f"{len(missing)} object(s) of the restore point are missing")
    if unexpected:
        problems.append(f"{len(unexpected)} restored object(s) did not exist at the restore "
                        "point")
    if differing:
        problems.append(f"{len(differing)} restored object(s) differ from the version chosen "
                        "(size or SHA-256)")
    return problems


@dataclass(frozen=True)
class ReplicaCheck:
    passed: bool
    checked: int                      # source objects older than the allowed lag
    in_flight: int                    # newer ones: not judged
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)   # replica holds another version
    complete_until: datetime | None = None   # the source write the replica lacked longest
    read_at: datetime | None = None          # when the replica was read, for that write
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "s3-replica", **asdict(self), "complete_until": iso(self.complete_until),
                "read_at": iso(self.read_at)}


def check_replica(source: Iterable[ObjectVersion], replica: Iterable[ObjectVersion],
                  now: datetime, allowed_lag: float, limit: int = 10) -> ReplicaCheck:
    """The replica's current objects against the source's, from both buckets' version
    listings (delete markers included), the replica's read first. `now`: when the replica
    listing ended (the read time of a version without a `listed_at`)."""
    source, replica = list(source), list(replica)
    src, rep = current_objects(source), current_objects(replica)
    lacking = {k for k, v in src.items() if k not in rep or rep[k].version_id != v.version_id}
    judged = {k for k, v in src.items() if (now - v.last_modified).total_seconds() >= allowed_lag}
    missing = sorted(k for k in judged & lacking if k not in rep)
    stale = sorted(k for k in judged & lacking if k in rep)
    problems = []
    if not judged:
        problems.append("nothing to check: no source object is older than the allowed lag")
    if missing:
        problems.append(f"{len(missing)} object(s) older than the allowed lag are missing "
                        "from the replica")
    if stale:
        problems.append(f"{len(stale)} replica object(s) are an older version than the source's")
    until, read_at = most_behind(source, replica, now) or (None, None)
    return ReplicaCheck(not problems, len(judged), len(src) - len(judged), missing[:limit],
                        stale[:limit], until, read_at, problems)


def current_objects(versions: Iterable[ObjectVersion]) -> dict[str, ObjectVersion]:
    """Key -> its current version, for the keys whose newest entry is not a delete marker."""
    return {v.key: v for v in versions if v.is_latest and not v.delete_marker}


def most_behind(source: list[ObjectVersion], replica: list[ObjectVersion],
                now: datetime) -> tuple[datetime, datetime] | None:
    """(the oldest source write the replica lacked, when that key of the replica was read)
    for the key whose replica was furthest behind when read; None when nothing was lacking.

    Of each key, a write is lacking when the replica does not hold it, it is newer than the
    replica's newest entry of the key (superseded versions are not what the replica serves)
    and it was made by the time that key's page of the replica listing arrived -- a listing
    of a busy bucket is a moving picture, so each key is judged against its own read time."""
    held: dict[str, set[str]] = {}
    newest: dict[str, ObjectVersion] = {}
    for v in replica:
        held.setdefault(v.key, set()).add(v.version_id)
        if v.key not in newest or v.last_modified > newest[v.key].last_modified:
            newest[v.key] = v
    # A key's versions come newest first and may span pages: its newest entry's page is when
    # the replica's state of that key was seen.
    read = {k: v.listed_at or now for k, v in newest.items()}
    oldest: dict[str, datetime] = {}
    for v in source:
        at = read.get(v.key, now)
        if v.last_modified <= at and v.version_id not in held.get(v.key, set()) and (
                v.key not in newest or v.last_modified >= newest[v.key].last_modified):
            oldest[v.key] = min(oldest.get(v.key, v.last_modified), v.last_modified)
    ages = {k: (read.get(k, now) - lm, lm, read.get(k, now)) for k, lm in oldest.items()}
    worst = max(ages.values(), default=None)
    return (worst[1], worst[2]) if worst else None
