"""A fake `Aws` for unit tests of the core: an in-memory two-region estate, no boto3, no HTTP.

Ship the fake beside the port (httpx's MockTransport): `FakeAws` is an `Aws`, and each fake
adapter is a subclass of the real one, so mypy checks every faked method against the real
signature -- when an adapter changes, the fake stops type-checking instead of drifting.
A method the fake does not model raises `NotFaked` (its boto3 client is a stand-in that refuses
every call), never a silent success. The sandbox stays the end-to-end truth; this is for
testing what the core decides, at unit speed.

`FakeEstate` is the state a test sets up and reads back; `calls` records every mutating call in
order, and `after(call, hook)` runs a hook after one (an old region that keeps writing after the
DNS switch, a replica that lags).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from drctl.aws.autoscaling import AutoScaling, GroupState
from drctl.aws.cloudwatch import AlarmState, CloudWatch, MetricDatum
from drctl.aws.dynamodb import DynamoDb
from drctl.aws.dynamodb_restore import DynamoDbRestore
from drctl.aws.ecs import Ecs, ServiceState
from drctl.aws.estate import Aws
from drctl.aws.fake_rds import FakeDatabases, FakeRdsRestore
from drctl.aws.fake_s3 import FakeBuckets, FakeS3, FakeS3Restore
from drctl.aws.fake_tables import FakeDynamoDbRestore, FakeTables
from drctl.aws.generic import GenericApi
from drctl.aws.not_faked import NoClient, NoFactory, NotFaked
from drctl.aws.rds import DbInstance, Rds
from drctl.aws.rds_restore import RdsRestore
from drctl.aws.route53 import RecordSet, Route53
from drctl.aws.s3 import S3
from drctl.aws.s3_restore import S3Restore
from drctl.aws.sns import Sns
from drctl.aws.sts import Sts
from drctl.core.errors import ResourceMissing

__all__ = ["FakeAws", "FakeEstate", "NotFaked"]


@dataclass
class FakeEstate:
    """Everything the fake serves, by region. Tests build it directly."""

    zones: dict[str, str] = field(default_factory=dict)                      # name -> id
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # zone id -> sets
    alarms: dict[str, list[AlarmState]] = field(default_factory=dict)        # region -> alarms
    datapoints: dict[tuple[str, str, str], tuple[float, datetime]] = field(default_factory=dict)
    services: dict[tuple[str, str], dict[str, ServiceState]] = field(default_factory=dict)
    groups: dict[str, dict[str, GroupState]] = field(default_factory=dict)   # region -> groups
    databases: dict[str, dict[str, DbInstance]] = field(default_factory=dict)
    items: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    table_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)     # default ("pk",)
    tables: FakeTables = field(default_factory=lambda: FakeTables())        # drills' tables
    dbs: FakeDatabases = field(default_factory=lambda: FakeDatabases())     # drills' RDS
    buckets: FakeBuckets = field(default_factory=lambda: FakeBuckets())     # drills' S3
    # What S3 stamps a copy or a new bucket with: a test gives its fake clock's `now`.
    now: Callable[[], datetime] = field(default_factory=lambda: _wall_clock)
    topics: dict[str, list[str]] = field(default_factory=dict)               # region -> names
    published: list[tuple[str, str, str]] = field(default_factory=list)      # arn, subject, text
    metrics: list[tuple[str, str, MetricDatum]] = field(default_factory=list)  # region, ns
    caller: str = "arn:aws:iam::123456789012:user/fake-operator"
    # Route53 changes are PENDING for this many polls of get_change before INSYNC.
    dns_polls_until_insync: int = 1
    calls: list[str] = field(default_factory=list)
    hooks: dict[str, list[Callable[[], None]]] = field(default_factory=dict)
    _pending: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def after(self, call: str, hook: Callable[[], None]) -> None:
        """Run `hook` after every mutating `call` (e.g. "route53.upsert")."""
        self.hooks.setdefault(call, []).append(hook)

    def did(self, call: str) -> None:
        self.calls.append(call)
        for hook in self.hooks.get(call, []):
            hook()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class FakeAws(Aws):
    def __init__(self, estate: FakeEstate | None = None) -> None:  # no boto3 session
        self.estate = estate or FakeEstate()
        self.factory = NoFactory()

    def route53(self) -> Route53:
        return FakeRoute53(self.estate)

    def cloudwatch(self, region: str) -> CloudWatch:
        return FakeCloudWatch(self.estate, region)

    def ecs(self, region: str) -> Ecs:
        return FakeEcs(self.estate, region)

    def autoscaling(self, region: str) -> AutoScaling:
        return FakeAutoScaling(self.estate, region)

    def rds(self, region: str) -> Rds:
        return FakeRds(self.estate, region)

    def dynamodb(self, region: str) -> DynamoDb:
        return FakeDynamoDb(self.estate, region)

    def dynamodb_restore(self, region: str) -> DynamoDbRestore:
        return FakeDynamoDbRestore(self.estate.tables, region, self.estate.did)

    def rds_restore(self, region: str) -> RdsRestore:
        return FakeRdsRestore(self.estate.dbs, region, self.estate.did)

    def s3(self, region: str) -> S3:
        return FakeS3(self.estate.buckets, region)

    def s3_restore(self, region: str) -> S3Restore:
        return FakeS3Restore(self.estate.buckets, region, self.estate.did, self.estate.now)

    def sns(self, region: str) -> Sns:
        return FakeSns(self.estate, region)

    def sts(self) -> Sts:
        return FakeSts(self.estate)

    def api(self) -> GenericApi:
        raise NotFaked("FakeAws does not fake the generic AWS API (runbooks' aws.call)")


class FakeRoute53(Route53):
    def __init__(self, estate: FakeEstate) -> None:
        super().__init__(NoClient("route53"))
        self.estate = estate

    def zone_id(self, zone: str) -> str:
        if zone.rstrip(".") not in self.estate.zones:
            raise ResourceMissing(f"hosted zone {zone!r} does not exist")
        return self.estate.zones[zone.rstrip(".")]

    def record_sets_of(self, zone_id: str, wanted: list[tuple[str, str]]
                       ) -> dict[tuple[str, str], list[RecordSet]]:
        sets = self.estate.records.get(zone_id, [])
        return {(name, type_): [_record_set(rr) for rr in sets
                                if (rr["Name"].rstrip("."), rr["Type"]) == (name.rstrip("."),
                                                                             type_)]
                for name, type_ in wanted}

    def upsert(self, zone_id: str, records: list[dict[str, Any]], comment: str) -> str:
        sets = self.estate.records.setdefault(zone_id, [])
        for new in records:
            sets[:] = [rr for rr in sets if _identity(rr) != _identity(new)] + [dict(new)]
        change_id = self.estate.next_id("C")
        self.estate._pending[change_id] = self.estate.dns_polls_until_insync
        self.estate.did("route53.upsert")
        return change_id

    def change_in_sync(self, change_id: str) -> bool:
        left = self.estate._pending[change_id]
        self.estate._pending[change_id] = max(0, left - 1)
        return left == 0


def _identity(rr: dict[str, Any]) -> tuple[str, str, str | None]:
    return rr["Name"].rstrip("."), rr["Type"], rr.get("SetIdentifier")


def _record_set(rr: dict[str, Any]) -> RecordSet:
    return RecordSet(rr["Name"].rstrip("."), rr["Type"], rr.get("SetIdentifier"),
                     rr.get("Weight"), rr.get("Failover"), rr)


class FakeCloudWatch(CloudWatch):
    def __init__(self, estate: FakeEstate, region: str) -> None:
        super().__init__(NoClient("cloudwatch"), region)
        self.estate = estate

    def alarms(self, names: list[str]) -> list[AlarmState]:
        return [a for a in self.estate.alarms.get(self.region, []) if a.name in names]

    def latest_datapoint(self, namespace: str, metric: str, dimensions: dict[str, str],
                         now: datetime, window: timedelta = timedelta(minutes=15),
                         ) -> tuple[float, datetime] | None:
        point = self.estate.datapoints.get((self.region, namespace, metric))
        return point if point is not None and now - window <= point[1] <= now else None

    def put_metrics(self, namespace: str, data: list[MetricDatum]) -> None:
        # Kept apart from `calls`: publishing drctl's own metrics changes nothing of the estate.
        self.estate.metrics.extend((self.region, namespace, datum) for datum in data)


class FakeEcs(Ecs):
    def __init__(self, estate: FakeEstate, region: str) -> None:
        super().__init__(NoClient("ecs"), region)
        self.estate = estate

    def services(self, cluster: str, names: list[str]) -> dict[str, ServiceState]:
        known = self.estate.services.get((self.region, cluster), {})
        missing = [n for n in names if n not in known]
        if missing:
            raise ResourceMissing(f"ECS services {missing} not found in {cluster}")
        return {name: known[name] for name in names}

    def services_in(self, clusters: Mapping[str, Sequence[str]]
                    ) -> dict[str, dict[str, ServiceState]]:
        return {cluster: self.services(cluster, list(names))
                for cluster, names in clusters.items()}

    def scale_service(self, cluster: str, service: str, desired: int) -> None:
        known = self.estate.services[(self.region, cluster)]
        # The ECS scheduler, played at once: the tasks run as soon as they are asked for.
        known[service] = replace(known[service], desired=desired, running=desired, pending=0)
        self.estate.did("ecs.scale_service")


class FakeAutoScaling(AutoScaling):
    def __init__(self, estate: FakeEstate, region: str) -> None:
        super().__init__(NoClient("autoscaling"), region)
        self.estate = estate

    def groups(self, names: list[str]) -> dict[str, GroupState]:
        known = self.estate.groups.get(self.region, {})
        return {name: known[name] for name in names if name in known}

    def group(self, name: str) -> GroupState:
        found = self.groups([name])
        if name not in found:
            raise ResourceMissing(f"Auto Scaling group {name} not found in {self.region}")
        return found[name]

    def set_desired(self, name: str, desired: int) -> None:
        known = self.estate.groups[self.region]
        known[name] = replace(known[name], desired=desired, in_service=desired)
        self.estate.did("autoscaling.set_desired")


class FakeRds(Rds):
    def __init__(self, estate: FakeEstate, region: str) -> None:
        super().__init__(NoClient("rds"), region)
        self.estate = estate

    def instance(self, identifier: str) -> DbInstance:
        found = self.estate.databases.get(self.region, {}).get(identifier)
        if found is None:
            raise ResourceMissing(f"DB instance {identifier} not found in {self.region}")
        return found

    def promote(self, identifier: str) -> None:
        db = self.instance(identifier)
        self.estate.databases[self.region][identifier] = replace(db, replica_source=None)
        self.estate.did("rds.promote")


class FakeDynamoDb(DynamoDb):
    def __init__(self, estate: FakeEstate, region: str) -> None:
        super().__init__(NoClient("dynamodb"), region)
        self.estate = estate

    def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        rows = self.estate.items.get((self.region, table), [])
        return next((dict(r) for r in rows if all(r.get(k) == v for k, v in key.items())), None)

    def put_item(self, table: str, item: dict[str, Any]) -> None:
        key = self.estate.table_keys.get(table, ("pk",))
        rows = self.estate.items.setdefault((self.region, table), [])
        rows[:] = [r for r in rows if any(r.get(k) != item.get(k) for k in key)] + [dict(item)]
        self.estate.did("dynamodb.put_item")


class FakeSns(Sns):
    def __init__(self, estate: FakeEstate, region: str) -> None:
        super().__init__(NoClient("sns"), region)
        self.estate = estate

    def topic_arn(self, topic: str) -> str:
        if topic not in self.estate.topics.get(self.region, []):
            raise ResourceMissing(f"SNS topic {topic} not found in {self.region}")
        return f"arn:aws:sns:{self.region}:123456789012:{topic}"

    def publish(self, topic_arn: str, subject: str, message: str,
                attributes: dict[str, str] | None = None) -> str:
        self.estate.published.append((topic_arn, subject, message))
        self.estate.did("sns.publish")
        return self.estate.next_id("M")


class FakeSts(Sts):
    def __init__(self, estate: FakeEstate) -> None:
        super().__init__(NoClient("sts"))
        self.estate = estate

    def caller_arn(self) -> str:
        return self.estate.caller
