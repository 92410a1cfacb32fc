"""S3 versions drills: restore a prefix as of T after later overwrites and deletes, checked
against the test's own record of T; cleanup leaves nothing, also after a SIGKILL."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from tests.e2e.helpers import PLAYBOOK, Cli
from tests.e2e.test_drill_interrupt import wait_for_line

pytestmark = pytest.mark.sandbox(lag=1.0)

BUCKET = "roadtrip-media-us-east-1"


def drill_buckets(aws: ClientFactory) -> list[str]:
    return [b["Name"] for b in aws.client("s3", "us-east-1").list_buckets()["Buckets"]
            if "-drill-" in b["Name"]]


def put(aws: ClientFactory, key: str, body: bytes) -> None:
    aws.client("s3", "us-east-1").put_object(Bucket=BUCKET, Key=key, Body=body)


def next_second() -> None:
    """S3's LastModified is to the second: keep writes before and after T in other seconds."""
    time.sleep(1.05 - (time.time() % 1))


def test_versions_drill_restores_the_prefix_as_it_was_at_t(sandbox, aws,
                                                            tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    at_t = {"drill/a.txt": b"a v1", "drill/b.txt": b"b v1", "drill/c.txt": b"c v1"}
    for key, body in at_t.items():
        put(aws, key, body)
    put(aws, "elsewhere/x.txt", b"outside the prefix")
    next_second()
    at = datetime.now(UTC)
    next_second()
    put(aws, "drill/a.txt", b"a v2, after T")
    aws.client("s3", "us-east-1").delete_object(Bucket=BUCKET, Key="drill/b.txt")
    put(aws, "drill/d.txt", b"d, born after T")

    result = cli("drill", "--target", f"s3:{BUCKET}/drill/", "--kind", "versions",
                 "--at", at.isoformat(), "--json")
    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)
    validation = run["validation"]
    assert validation["passed"] and validation["restored_objects"] == 3
    # The drill read the scratch bucket back; its checksum is over (key, SHA-256 of content).
    lines = sorted(f"{k} {hashlib.sha256(v).hexdigest()}" for k, v in at_t.items())
    assert validation["checksum"] == hashlib.sha256("\n".join(lines).encode()).hexdigest()
    assert run["restore_point"] == run["requested_restore_point"]
    assert abs((datetime.fromisoformat(run["restore_point"].replace("Z", "+00:00"))
                - at).total_seconds()) < 0.01
    assert run["rpo_source"] == "s3:versions" and run["rpo_met"] and run["rto_met"]
    assert run["cleanup"]["status"] == "done" and len(run["cleanup"]["deleted"]) == 1
    assert drill_buckets(aws) == []


def test_sigkill_leaves_a_tagged_bucket_that_drill_cleanup_removes(sandbox, aws,
                                                                   tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    manager.set_faults(sandbox.state_dir, latency_ms=300)  # the drill takes seconds
    try:
        process = cli.spawn("drill", "--target", f"s3:{BUCKET}/media/", "--kind", "versions")
        wait_for_line(process, "copying", timeout=120)  # a busy machine starts Python slowly
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        manager.clear_faults(sandbox.state_dir)
    [left] = drill_buckets(aws)
    tags = aws.client("s3", "us-east-1").get_bucket_tagging(Bucket=left)["TagSet"]
    assert {"Key": "drctl:managed-by", "Value": "drctl-drill"} in tags

    swept = cli("drill", "cleanup", "--json")
    assert swept.returncode == 0, swept.stderr
    assert [e["name"] for e in json.loads(swept.stdout)["cleanup"]["deleted"]] == [left]
    assert drill_buckets(aws) == []


REPLICA = "roadtrip-media-us-west-2"


def replica_playbook(tmp_path: Path) -> Path:
    """The shipped playbook, judging the replica after 3 s (this sandbox replicates in 1 s)."""
    playbook = tmp_path / "replica.yaml"
    text = PLAYBOOK.read_text()
    assert "replica_lag: 15s" in text
    playbook.write_text(text.replace("replica_lag: 15s", "replica_lag: 3s"))
    return playbook


def replica_versions(aws: ClientFactory, key: str) -> list[dict[str, Any]]:
    listing = aws.client("s3", "us-west-2").list_object_versions(Bucket=REPLICA, Prefix=key)
    return [v for v in listing.get("Versions", []) if v["Key"] == key]


def wait_replicated(aws: ClientFactory, key: str, versions: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(replica_versions(aws, key)) < versions:
        assert time.monotonic() < deadline, f"{key} never replicated"
        time.sleep(0.2)


def test_replica_drill_passes_on_a_full_replica_and_names_missing_and_stale_objects(
    sandbox, aws, tmp_path: Path
) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    playbook = str(replica_playbook(tmp_path))
    prefix = f"replica-{int(time.time())}/"
    put(aws, f"{prefix}a.txt", b"a v1")
    put(aws, f"{prefix}b.txt", b"b v1")
    put(aws, f"{prefix}b.txt", b"b v2")
    wait_replicated(aws, f"{prefix}a.txt", 1)
    wait_replicated(aws, f"{prefix}b.txt", 2)
    args = ("drill", "--kind", "replica", "--target", f"s3:{BUCKET}/{prefix}",
            "--playbook", playbook, "--json")

    result = cli(*args)

    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)
    assert run["validation"]["passed"] and run["validation"]["checked"] == 2
    assert run["validation"]["replica_bucket"] == REPLICA
    assert "warning" not in result.stderr.lower(), result.stderr  # no log noise

    # The replica loses a.txt, and b.txt's newest version: one missing, one stale.
    west = aws.client("s3", "us-west-2")
    for version in replica_versions(aws, f"{prefix}a.txt"):
        west.delete_object(Bucket=REPLICA, Key=version["Key"], VersionId=version["VersionId"])
    newest = next(v for v in replica_versions(aws, f"{prefix}b.txt") if v["IsLatest"])
    west.delete_object(Bucket=REPLICA, Key=newest["Key"], VersionId=newest["VersionId"])

    failed = cli(*args)

    assert failed.returncode == 1, failed.stderr
    [run] = json.loads(failed.stdout)
    assert run["status"] == "failed" and not run["validation"]["passed"]
    assert run["validation"]["missing"] == [f"{prefix}a.txt"]
    assert run["validation"]["stale"] == [f"{prefix}b.txt"]
    assert "replica check failed" in run["error"]


def journal_s3_drill(cli: Cli, run_id: str, bucket: str) -> None:
    """A versions drill of this journal whose process is gone (killed before it tagged)."""
    from drctl.core.events import Event
    from drctl.store.sqlite import SqliteStore

    journal = SqliteStore(cli.state_dir / "journal.db")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    journal.append(Event(run_id, "run_started", datetime.now(UTC), data={
        "kind": "drill", "user": "alice", "host": socket.gethostname(),
        "pid": int(dead.stdout), "params": {"target": f"s3:{BUCKET}", "kind": "versions",
                                            "restore_region": "us-east-1",
                                            "drill_resource": bucket}}))
    journal.close()


def test_an_untagged_scratch_bucket_of_a_killed_drill_is_deleted_by_its_journaled_name(
    sandbox, aws, tmp_path: Path
) -> None:
    """Killed between CreateBucket and PutBucketTagging: the bucket has no tags, but the
    journal holds its exact name. Cleanup deletes it (objects and all); a bucket of that
    kind carrying tags drctl did not put there is reported (exit 1); a bucket that merely
    looks like a drill's, named in no journal, is never touched."""
    cli = Cli(sandbox, tmp_path / "state")
    s3 = aws.client("s3", "us-east-1")
    killed, foreign, decoy = (f"{BUCKET}-drill-{n}" for n in ("kill01", "frgn01", "manual"))
    journal_s3_drill(cli, "dr-20260101T000000-kill01", killed)
    journal_s3_drill(cli, "dr-20260101T000000-frgn01", foreign)
    for name in (killed, foreign, decoy):
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=killed, Key="media/a.txt", Body=b"half a restore")
    s3.put_bucket_tagging(Bucket=foreign, Tagging={"TagSet": [{"Key": "owner",
                                                               "Value": "alice"}]})
    try:
        swept = cli("drill", "cleanup")
        assert swept.returncode == 1, swept.stdout + swept.stderr
        assert foreign in swept.stderr and "owner" in swept.stderr
        # Its expected 404s (NoSuchTagSet of an untagged bucket, HEAD of one already gone)
        # are not warnings.
        assert "warning" not in swept.stderr.lower(), swept.stderr
        assert sorted(drill_buckets(aws)) == sorted([foreign, decoy])
    finally:
        s3.delete_bucket(Bucket=foreign)
    swept = cli("drill", "cleanup")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "warning" not in swept.stderr.lower(), swept.stderr
    assert drill_buckets(aws) == [decoy]
    s3.delete_bucket(Bucket=decoy)
