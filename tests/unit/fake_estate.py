"""A small two-region estate on the fake `Aws` (drctl/aws/fake.py), and the playbook for it.

us-east-1 is the primary: DNS weight 100, the database `app-db`; us-west-2 the standby: weight 0,
its ECS services at 1 task, the worker group at 1, `app-db-replica` replicating from us-east-1.
Each region's app writes a heartbeat (`app-heartbeats`, key writer=<region>); the copy of
us-east-1's heartbeat in us-west-2 is `lag` seconds behind. HTTP goes through an
`httpx.MockTransport` whose answers a test scripts (`Web`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from drctl.aws.autoscaling import GroupState
from drctl.aws.cloudwatch import AlarmState
from drctl.aws.dynamodb_restore import PitrWindow, TableBackup
from drctl.aws.ecs import ServiceState
from drctl.aws.fake import FakeAws, FakeEstate
from drctl.aws.fake_rds import FakeDatabases, instance_arn, snapshot_arn
from drctl.aws.fake_s3 import FakeBuckets
from drctl.aws.fake_tables import FakeTables
from drctl.aws.rds import DbInstance
from drctl.aws.rds_restore import DbProfile, DbSnapshot
from drctl.aws.s3 import Replication, ReplicationRule
from drctl.core.clock import FakeClock, iso
from drctl.core.operator import ScriptedOperator
from drctl.failover.spec import FailoverDeps
from drctl.notify.channels import build_channels
from drctl.playbook.loader import load_playbook
from drctl.playbook.schema import Playbook

PLAYBOOK = """\
version: 1
name: app
targets: {rto: 1h, rpo: 15m}
regions:
  us-east-1: {role: primary, endpoint: "http://east.app.test"}
  us-west-2: {role: secondary, endpoint: "http://west.app.test"}
detection:
  alarms: ["app-5xx-{region}"]
confirmation: {mode: prompt, timeout: 15m}
dns:
  zone: app.test
  records: [{name: api.app.test, type: CNAME, routing: weighted}]
  weight: 100
  timeout: 1m
scale:
  timeout: 5m
  ecs: [{cluster: app, services: {api: 4, worker: 2}}]
  autoscaling: [{group: app-workers, desired: 3}]
  rds_promote:
    replicas: {us-west-2: app-db-replica}
smoke_tests:
  timeout: 1m
  interval: 2s
  checks: [{name: health, url: "{endpoint}/health", expect_status: 200}]
rpo:
  database:
    - heartbeat:
        table: app-heartbeats
        key: {writer: "{failed_region}"}
        timestamp_attribute: written_at
notify:
  - sns: {topic: app-notifications}
drills:
  targets:
    - target: dynamodb:app-pois
      region: us-east-1
      kinds: [pitr, snapshot]
      validation:
        timestamp_attribute: updated_at
        sample_keys: [{poi_id: poi-001}]
    - target: rds:app-db
      region: us-east-1
      kinds: [snapshot, pitr, cross-region]
      copy_to: us-west-2
      instance_class: db.t3.micro
      validation:
        hook: {command: [check-db], timeout: 1m}
    - target: s3:app-media
      region: us-east-1
      kinds: [versions, replica]
      validation: {replica_lag: 15s}
"""
EAST, WEST = "us-east-1", "us-west-2"
HEARTBEATS = "app-heartbeats"


def playbook(tmp_path: Path) -> Playbook:
    path = tmp_path / "app.yaml"
    path.write_text(PLAYBOOK)
    return load_playbook(path, env={})


def _record(region: str, weight: int) -> dict[str, object]:
    return {"Name": "api.app.test.", "Type": "CNAME", "SetIdentifier": region,
            "Weight": weight, "TTL": 60,
            "ResourceRecords": [{"Value": f"{region.split('-')[1]}.app.test"}]}


def estate(now: datetime, lag: float = 4.0) -> FakeEstate:
    """The estate as it stands before a failover from us-east-1 to us-west-2, at `now`."""
    written = now - timedelta(seconds=1)
    services = {name: ServiceState(name, 1, 1, 0, 1) for name in ("api", "worker")}
    return FakeEstate(
        zones={"app.test": "Z1"},
        records={"Z1": [_record(EAST, 100), _record(WEST, 0)]},
        alarms={EAST: [AlarmState("app-5xx-us-east-1", "OK", now - timedelta(hours=1), "")],
                WEST: [AlarmState("app-5xx-us-west-2", "OK", now - timedelta(hours=1), "")]},
        datapoints={(WEST, "AWS/RDS", "ReplicaLag"): (lag, now - timedelta(seconds=30))},
        services={(WEST, "app"): services},
        groups={WEST: {"app-workers": GroupState("app-workers", 1, 1, 10, 1)}},
        databases={EAST: {"app-db": _db(EAST, "app-db", None)},
                   WEST: {"app-db-replica": _db(WEST, "app-db-replica",
                                                "arn:aws:rds:us-east-1:123456789012:db:app-db")}},
        items={(EAST, HEARTBEATS): [heartbeat(EAST, written)],
               (WEST, HEARTBEATS): [heartbeat(EAST, written - timedelta(seconds=lag)),
                                    heartbeat(WEST, written)]},
        table_keys={HEARTBEATS: ("writer",)},
        topics={WEST: ["app-notifications"], EAST: ["app-notifications"]},
    )


def pois(tables: FakeTables, now: datetime) -> None:
    """us-east-1's `app-pois`: PITR restorable up to 5 minutes ago, a backup 2 hours old, and
    items written 3 h, 1 h and 1 min ago (the newest after the latest restorable time)."""
    table = tables.create(EAST, "app-pois", ("poi_id",), now - timedelta(days=30), PitrWindow(
        True, now - timedelta(days=7), now - timedelta(minutes=5)))
    for poi, age in (("poi-001", timedelta(hours=3)), ("poi-002", timedelta(hours=1)),
                     ("poi-003", timedelta(minutes=1))):
        written = now - age
        table.versions.append((written, {"poi_id": {"S": poi},
                                         "updated_at": {"S": iso(written)}}))
    backup_at = now - timedelta(hours=2)
    table.backups.append(TableBackup("arn:aws:dynamodb:us-east-1:123456789012:table/app-pois/"
                                     "backup/b1", "nightly", backup_at, "AVAILABLE"))


def app_db(dbs: FakeDatabases, now: datetime) -> None:
    """us-east-1's `app-db`: restorable from 7 days ago to 5 minutes ago, an automated
    snapshot 2 hours old (of 100 GB; the instance has grown to 200 GB since)."""
    profile = DbProfile("app-db", instance_arn(EAST, "app-db"), "available", "postgres", "15.4",
                        "gp3", 200, True, ("default.postgres15",), (), "kms-east", 7,
                        now - timedelta(minutes=5), "app-db.east.fake", 5432)
    dbs.add_instance(EAST, profile, (now - timedelta(days=7), now - timedelta(minutes=5)))
    recorded = {**profile.comparable(), "allocated_storage": 100}
    del recorded["parameter_groups"]
    nightly = "rds:app-db-nightly"
    dbs.add_snapshot(EAST, DbSnapshot(nightly, snapshot_arn(EAST, nightly), "app-db",
                                      "automated", "available", now - timedelta(hours=2),
                                      recorded=recorded))


MEDIA = "app-media"
MEDIA_REPLICA = "app-media-replica"


def media(buckets: FakeBuckets, now: datetime) -> None:
    """us-east-1's versioned `app-media`, replicated whole to us-west-2's `app-media-replica`:
    photos/a.jpg written 3 h ago and rewritten 1 h ago, photos/b.jpg written 2 h ago and
    deleted 30 min ago, photos/c.jpg written 5 s ago (not replicated yet: in flight)."""
    source = buckets.create(MEDIA, EAST, now - timedelta(days=30))
    source.replication = Replication("arn:aws:iam::123456789012:role/replication", (
        ReplicationRule("all", True, "", MEDIA_REPLICA, True, False),))
    buckets.create(MEDIA_REPLICA, WEST, now - timedelta(days=30))
    for version in (buckets.put(MEDIA, "photos/a.jpg", b"a-first", now - timedelta(hours=3)),
                    buckets.put(MEDIA, "photos/b.jpg", b"b", now - timedelta(hours=2)),
                    buckets.put(MEDIA, "photos/a.jpg", b"a-second", now - timedelta(hours=1)),
                    buckets.delete(MEDIA, "photos/b.jpg", now - timedelta(minutes=30))):
        buckets.replicate(version, MEDIA_REPLICA)
    buckets.put(MEDIA, "photos/c.jpg", b"c", now - timedelta(seconds=5))


def heartbeat(writer: str, at: datetime) -> dict[str, object]:
    return {"writer": writer, "written_at": Decimal(str(at.timestamp()))}


def _db(region: str, ident: str, source: str | None) -> DbInstance:
    return DbInstance(ident, "available", "postgres", source, (),
                      f"arn:aws:rds:{region}:123456789012:db:{ident}")


@dataclass
class Web:
    """The regional apps over HTTP: `status[host]` answers /health (a list is used up one
    answer per request, its last one then stays)."""

    status: dict[str, list[int]] = field(default_factory=lambda: {
        "east.app.test": [200], "west.app.test": [200]})
    requests: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        answers = self.status[request.url.host]
        code = answers.pop(0) if len(answers) > 1 else answers[0]
        return httpx.Response(code, text="ok" if code == 200 else "down")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))


def deps(aws: FakeAws, clock: FakeClock, web: Web, playbook: Playbook,
         operator: ScriptedOperator | None = None,
         history: Callable[[], list] | None = None) -> FailoverDeps:
    http = web.client()
    return FailoverDeps(
        aws=aws, clock=clock, operator=operator or ScriptedOperator(interactive=False),
        channels=lambda region: build_channels(playbook.notify, aws, region, {}, http=http),
        history=history or (lambda: []), http=http)
