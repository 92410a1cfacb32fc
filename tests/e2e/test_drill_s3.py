"""S3 versions drills: restore a prefix as of T after later overwrites and deletes, checked
against the test's own record of T; cleanup leaves nothing, also after a SIGKILL."""

from __future__ import annotations

import hashlib
import json
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from tests.e2e.helpers import Cli
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
