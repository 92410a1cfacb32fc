"""The sandbox's S3: versioned buckets that replicate to each other as AWS does (the fidelity fix
in `drctl/sandbox/fidelity_s3.py`), with the injected lag, and lose what an outage cut off."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from drctl.sandbox import manager
from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.sandbox(lag=2.0)

PRIMARY, SECONDARY = "roadtrip-media-us-east-1", "roadtrip-media-us-west-2"


def _head(s3: Any, bucket: str, key: str, **kwargs: Any) -> dict[str, Any] | None:
    try:
        return dict(s3.head_object(Bucket=bucket, Key=key, **kwargs))
    except s3.exceptions.ClientError:
        return None


def test_replication_copies_each_version_as_aws_does(aws) -> None:
    """AWS: a new version under an enabled rule is copied to the destination with the same key,
    version id, LastModified and content; the replica says REPLICA, the source PENDING until
    it is copied, COMPLETED after. Delete markers replicate when the rule enables it. And
    GetBucketReplication answers the rule as it was put."""
    east, west = aws.client("s3", "us-east-1"), aws.client("s3", "us-west-2")
    rules = east.get_bucket_replication(Bucket=PRIMARY)["ReplicationConfiguration"]["Rules"]
    assert rules[0]["Filter"] == {"Prefix": ""}
    assert rules[0]["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rules[0]["Destination"]["Bucket"] == f"arn:aws:s3:::{SECONDARY}"
    assert rules[0]["Destination"]["ReplicationTime"]["Status"] == "Enabled"

    put = east.put_object(Bucket=PRIMARY, Key="t/replicated.txt", Body=b"v1")
    written = time.time()
    assert _head(east, PRIMARY, "t/replicated.txt")["ReplicationStatus"] == "PENDING"
    replica = wait_until(lambda: _head(west, SECONDARY, "t/replicated.txt"), 10, "the replica")
    arrived = time.time()
    source = _head(east, PRIMARY, "t/replicated.txt")
    assert arrived - written >= 2.0 - 1.0  # the lag (LastModified is to the second)
    assert replica["VersionId"] == put["VersionId"] == source["VersionId"]
    assert replica["LastModified"] == source["LastModified"]
    assert replica["ETag"] == source["ETag"]
    assert replica["ReplicationStatus"] == "REPLICA"
    assert source["ReplicationStatus"] == "COMPLETED"
    body = west.get_object(Bucket=SECONDARY, Key="t/replicated.txt")["Body"].read()
    assert body == b"v1"

    east.delete_object(Bucket=PRIMARY, Key="t/replicated.txt")
    wait_until(lambda: _head(west, SECONDARY, "t/replicated.txt") is None, 10,
              "the delete marker to replicate")
    versions = west.list_object_versions(Bucket=SECONDARY, Prefix="t/replicated.txt")
    assert [m["IsLatest"] for m in versions["DeleteMarkers"]] == [True]
    # A replica is not replicated back, though the other bucket replicates to this one.
    time.sleep(2.5)
    back = east.list_object_versions(Bucket=PRIMARY, Prefix="t/replicated.txt")
    assert len(back.get("Versions", [])) == 1 and len(back["DeleteMarkers"]) == 1


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_app_writes_every_second_and_an_outage_loses_what_was_in_flight(
    sandbox, aws
) -> None:
    east, west = aws.client("s3", "us-east-1"), aws.client("s3", "us-west-2")
    key = "canary/us-east-1.json"
    wait_until(lambda: _head(west, SECONDARY, key), 10, "the first replicated canary")
    versions = east.list_object_versions(Bucket=PRIMARY, Prefix=key)["Versions"]
    assert len(versions) >= 2  # one version a second

    manager.outage(sandbox.state_dir, "us-east-1")
    try:
        truth = manager.ground_truth(sandbox.state_dir)
        cut = truth["outages"]["us-east-1"]["started_at_epoch"]
        time.sleep(3.5)  # longer than the lag: anything still in flight would have arrived
        newest_source = _head(east, PRIMARY, key)["LastModified"].timestamp()
        newest_replica = _head(west, SECONDARY, key)["LastModified"].timestamp()
        # The app stopped writing at the outage; the replica stopped `lag` before it.
        assert newest_source <= cut
        assert newest_source - newest_replica == pytest.approx(2.0, abs=1.0)
        time.sleep(1.5)
        assert _head(west, SECONDARY, key)["LastModified"].timestamp() == newest_replica
        # The ground truth says the same, to the microsecond (S3 answers to the second).
        bucket = manager.ground_truth(sandbox.state_dir)["s3_replication"]["buckets"][PRIMARY]
        assert int(_epoch(bucket["newest_write_at"])) == newest_source
        assert int(_epoch(bucket["newest_delivered_at"])) == newest_replica
        assert bucket["versions_lost"] >= 1   # a version a second, the lag 2 s
    finally:
        manager.restore(sandbox.state_dir, "us-east-1")


def test_replication_time_control_publishes_the_latency_in_the_source_region(aws) -> None:
    cloudwatch = aws.client("cloudwatch", "us-east-1")
    dimensions = [{"Name": "SourceBucket", "Value": PRIMARY},
                  {"Name": "DestinationBucket", "Value": SECONDARY},
                  {"Name": "RuleId", "Value": "roadtrip-media-to-us-west-2"}]
    metrics = cloudwatch.list_metrics(Namespace="AWS/S3", MetricName="ReplicationLatency")
    found = {tuple((d["Name"], d["Value"]) for d in m["Dimensions"]) for m in metrics["Metrics"]}
    assert found == {tuple((d["Name"], d["Value"]) for d in dimensions)}
