"""RPO per data store: S3's recovery point, each store measured by its best source, and the
run's RPO the worst store's (unknown when any store is)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from drctl.aws.s3 import ObjectHead
from drctl.core.errors import AwsError
from drctl.failover.rpo_stores import notes_of, read_stores, worst
from drctl.playbook.schema import MetricSource, RpoSource, S3Source
from tests.unit.helpers import T0

MEDIA = RpoSource(s3=S3Source(bucket="media-{region}", key="canary/{failed_region}.json"))
S3_LAG = RpoSource(cloudwatch=MetricSource(
    namespace="AWS/S3", metric="ReplicationLatency", region="failed",
    dimensions={"SourceBucket": "media-{failed_region}",
                "DestinationBucket": "media-{target_region}"}))


class FakeBucket:
    def __init__(self, objects: dict[tuple[str, str], datetime] | Exception) -> None:
        self.objects = objects

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        if isinstance(self.objects, Exception):
            raise self.objects
        when = self.objects.get((bucket, key))
        return ObjectHead(key, "v", when, 1, "etag") if when else None


class FakeMetrics:
    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str]]] = []
        self.region = ""

    def latest_datapoint(self, namespace: str, metric: str, dimensions: dict[str, str],
                         now: datetime) -> tuple[float, datetime]:
        self.asked.append((self.region, dimensions))
        return 4.0, now


class FakeAws:
    def __init__(self, buckets: dict[str, FakeBucket]) -> None:
        self.buckets = buckets
        self.metrics = FakeMetrics()

    def s3(self, region: str) -> FakeBucket:
        return self.buckets[region]

    def cloudwatch(self, region: str) -> FakeMetrics:
        self.metrics.region = region
        return self.metrics


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def stores(aws: FakeAws, playbook_stores: dict[str, list[RpoSource]]) -> Any:
    return read_stores(playbook_stores, aws, "east", "west", T0,  # type: ignore[arg-type]
                       at(120))


def test_s3_rpo_is_the_failed_buckets_newest_version_minus_the_replicas() -> None:
    aws = FakeAws({"east": FakeBucket({("media-east", "canary/east.json"): at(-1)}),
                   "west": FakeBucket({("media-west", "canary/east.json"): at(-8)})})

    [media] = stores(aws, {"media": [MEDIA]})

    assert media.reading.seconds == 7.0
    assert media.reading.source == "s3:media-east"
    assert media.reading.store == "media"
    assert media.reading.reference == "newest version in s3://media-east"


def test_an_unreadable_failed_bucket_lets_the_incident_start_stand_in() -> None:
    aws = FakeAws({"east": FakeBucket(AwsError("region down")),
                   "west": FakeBucket({("media-west", "canary/east.json"): at(-30)})})

    [media] = stores(aws, {"media": [MEDIA]})

    assert media.reading.seconds == 30.0
    assert media.reading.reference.startswith("incident start")


def test_no_replica_falls_to_the_next_source_which_reads_the_failed_region() -> None:
    aws = FakeAws({"east": FakeBucket({}), "west": FakeBucket({})})

    [media] = stores(aws, {"media": [MEDIA, S3_LAG]})

    assert media.reading.source == "cloudwatch:AWS/S3/ReplicationLatency"
    assert media.reading.seconds == 4.0
    assert "not found" in media.notes[0]
    assert aws.metrics.asked == [("east", {"SourceBucket": "media-east",
                                           "DestinationBucket": "media-west"})]


def test_the_runs_rpo_is_the_worst_stores_and_unknown_if_any_store_is() -> None:
    aws = FakeAws({"east": FakeBucket({("media-east", "canary/east.json"): at(-1),
                                       ("db-east", "canary/east.json"): at(-1)}),
                   "west": FakeBucket({("media-west", "canary/east.json"): at(-4),
                                       ("db-west", "canary/east.json"): at(-9)})})
    db = RpoSource(s3=S3Source(bucket="db-{region}", key="canary/{failed_region}.json"))

    measured = stores(aws, {"database": [db], "media": [MEDIA]})

    assert [s.reading.seconds for s in measured] == [8.0, 3.0]
    assert worst(measured).store == "database" and worst(measured).seconds == 8.0

    aws.buckets["west"].objects.pop(("db-west", "canary/east.json"))  # type: ignore[union-attr]
    measured = stores(aws, {"database": [db], "media": [MEDIA]})
    assert measured[0].reading is None and measured[1].reading.seconds == 3.0
    assert worst(measured) is None
    assert notes_of(measured)[-1] == "database: not measured, so neither is the run's RPO"
