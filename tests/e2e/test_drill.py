"""`drctl drill` end to end: the real CLI against a live sandbox, checked with plain boto3.

Ground truth comes from the test's own reads of the source (scans, snapshot times), never from
drctl's output. After every test no drill resource is left in either region.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import PLAYBOOK, Cli, playbook_copy

pytestmark = pytest.mark.e2e

REGIONS = ("us-east-1", "us-west-2")
POIS = "roadtrip-pois"


# -- ground truth, read independently --


def scan(aws: ClientFactory, table: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    ddb, items, kwargs = aws.client("dynamodb", region), [], {"TableName": table}
    while True:
        page = ddb.scan(ConsistentRead=True, **kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def sha256_of(items: list[dict[str, Any]]) -> str:
    """The checksum as drctl documents it: sorted canonical JSON lines, SHA-256."""
    lines = sorted(json.dumps(i, sort_keys=True, separators=(",", ":")) for i in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def newest_stamp(items: list[dict[str, Any]]) -> datetime:
    return datetime.fromtimestamp(max(float(i["updated_at"]["N"]) for i in items), UTC)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def same_instant(text: str, when: datetime) -> bool:
    """drctl's journal keeps milliseconds."""
    return abs((parse(text) - when).total_seconds()) < 0.001


def drill_resources(aws: ClientFactory, spare: tuple[str, ...] = ()) -> list[str]:
    """Every table, DB instance or DB snapshot named like a drill resource, in both regions."""
    left = []
    for region in REGIONS:
        left += [f"table {t} ({region})" for t in
                 aws.client("dynamodb", region).list_tables()["TableNames"]
                 if "-drill-" in t and t not in spare]
        rds = aws.client("rds", region)
        left += [f"instance {d['DBInstanceIdentifier']} ({region})"
                 for d in rds.describe_db_instances()["DBInstances"]
                 if "-drill-" in d["DBInstanceIdentifier"]]
        left += [f"snapshot {s['DBSnapshotIdentifier']} ({region})"
                 for s in rds.describe_db_snapshots()["DBSnapshots"]
                 if "-drill-" in s["DBSnapshotIdentifier"]]
    return left


@pytest.fixture
def cli(sandbox: SandboxInfo, tmp_path: Path, aws: ClientFactory) -> Iterator[Cli]:
    yield Cli(sandbox, tmp_path / "state")
    assert drill_resources(aws) == []


def drill(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("drill", *args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 1  # always an array, one run per drill
    run: dict[str, Any] = data[0]
    return run


# -- DynamoDB --


def test_pitr_drill_restores_the_whole_table_and_its_checksum_matches(
    cli: Cli, aws: ClientFactory
) -> None:
    source = scan(aws, POIS)
    began = datetime.now(UTC)

    run = drill(cli, "--kind", "pitr", "--target", f"dynamodb:{POIS}")

    v = run["validation"]
    assert run["status"] == "succeeded" and v["passed"] and v["problems"] == []
    assert v["restored_items"] == len(source) == v["expected_items"] == v["matching_items"]
    assert v["restored_checksum"] == sha256_of(source)
    # The effective recovery point is the newest write the data holds, not metadata.
    assert parse(run["effective_restore_point"]) == newest_stamp(source)
    assert run["requested_restore_point"] == "latest restorable"
    assert began <= parse(run["restore_point"]) <= datetime.now(UTC)
    assert run["rto_met"] and run["rpo_met"] and run["rto_seconds"] is not None
    assert run["cleanup"]["status"] == "done" and len(run["cleanup"]["deleted"]) == 1
    assert [s["name"] for s in run["steps"]] == ["restore", "wait_available", "validate",
                                                 "check_targets", "cleanup"]
    assert run["targets_met"] is True
    shown = cli.json("runs", "show", run["run_id"])
    for key in ("rto_seconds", "rpo_seconds", "rto_met", "rpo_met", "validation", "cleanup"):
        assert shown[key] == run[key]


def test_pitr_drill_validates_against_the_point_in_time_after_the_source_is_corrupted(
    cli: Cli, aws: ClientFactory
) -> None:
    ddb = aws.client("dynamodb", "us-east-1")
    for n in range(3):  # recent writes, before the restore point
        ddb.put_item(TableName=POIS, Item=poi(f"recent-{n}", "before"))
    time.sleep(1.2)
    point = datetime.now(UTC)
    truth = scan(aws, POIS)  # the table as it is at the restore point
    time.sleep(1.2)
    corrupt(ddb, truth)

    run = drill(cli, "--kind", "pitr", "--target", f"dynamodb:{POIS}", "--at", point.isoformat())

    v = run["validation"]
    assert v["passed"], v["problems"]
    assert v["restored_items"] == len(truth)
    assert v["restored_checksum"] == sha256_of(truth)   # the data as of the point, not now
    assert v["too_new"] == [] and v["superseded"] == 5 + 2  # rewritten + deleted since
    assert parse(run["requested_restore_point"]) == parse(run["restore_point"])
    assert abs((parse(run["restore_point"]) - point).total_seconds()) < 0.002
    assert parse(run["effective_restore_point"]) == newest_stamp(truth)
    rpo = (parse(run["drill_started_at"]) - point).total_seconds()
    assert run["rpo_seconds"] == pytest.approx(rpo, abs=0.002) and rpo >= 1.2


def poi(poi_id: str, name: str, stamp: float | None = None) -> dict[str, Any]:
    at = Decimal(str(round(stamp if stamp is not None else time.time(), 3)))
    return {"poi_id": {"S": poi_id}, "name": {"S": name}, "updated_at": {"N": str(at)}}


def corrupt(ddb: Any, truth: list[dict[str, Any]]) -> None:
    """After the restore point: rewrite five items, delete two, add two."""
    seeded = sorted(i["poi_id"]["S"] for i in truth if i["poi_id"]["S"].startswith("poi-"))
    for poi_id in seeded[:5]:
        ddb.put_item(TableName=POIS, Item=poi(poi_id, "CORRUPTED"))
    for poi_id in seeded[5:7]:
        ddb.delete_item(TableName=POIS, Key={"poi_id": {"S": poi_id}})
    ddb.batch_write_item(RequestItems={POIS: [
        {"PutRequest": {"Item": poi(f"after-{n}", "after")}} for n in range(2)]})


def test_snapshot_drill_restores_the_newest_backup(cli: Cli, aws: ClientFactory) -> None:
    backups = aws.client("dynamodb", "us-east-1").list_backups(TableName=POIS)
    newest = max(b["BackupCreationDateTime"] for b in backups["BackupSummaries"])

    run = drill(cli, "--kind", "snapshot", "--target", f"dynamodb:{POIS}")

    assert run["validation"]["passed"], run["validation"]["problems"]
    assert same_instant(run["restore_point"], newest)
    assert run["rpo_seconds"] == pytest.approx(
        (parse(run["drill_started_at"]) - newest).total_seconds(), abs=0.002)


# -- RDS --


def newest_snapshot(aws: ClientFactory) -> dict[str, Any]:
    snaps = aws.client("rds", "us-east-1").describe_db_snapshots(
        DBInstanceIdentifier="roadtrip-db")["DBSnapshots"]
    return dict(max(snaps, key=lambda s: s["OriginalSnapshotCreateTime"]))


def test_rds_snapshot_drill_restores_a_matching_instance(cli: Cli, aws: ClientFactory) -> None:
    snapshot = newest_snapshot(aws)
    source = aws.client("rds", "us-east-1").describe_db_instances(
        DBInstanceIdentifier="roadtrip-db")["DBInstances"][0]

    run = drill(cli, "--kind", "snapshot", "--target", "rds:roadtrip-db")

    v = run["validation"]
    assert v["passed"] and v["mismatches"] == {} and v["hook"]["passed"]
    assert v["attributes"]["engine_version"] == source["EngineVersion"]
    assert v["attributes"]["storage_encrypted"] is source["StorageEncrypted"] is True
    assert same_instant(run["restore_point"], snapshot["OriginalSnapshotCreateTime"])
    assert run["restored"] == [{"type": "rds-instance", "region": "us-east-1",
                                "name": run["params"]["drill_resource"]}]


def test_a_snapshot_drill_is_judged_by_the_snapshot_not_by_the_grown_source(
    cli: Cli, aws: ClientFactory
) -> None:
    rds = aws.client("rds", "us-east-1")
    rds.modify_db_instance(DBInstanceIdentifier="roadtrip-db", AllocatedStorage=40,
                           ApplyImmediately=True)
    try:
        shown = cli("drill", "--kind", "snapshot", "--target", "rds:roadtrip-db")
    finally:
        rds.modify_db_instance(DBInstanceIdentifier="roadtrip-db", AllocatedStorage=20,
                               ApplyImmediately=True)

    assert shown.returncode == 0, shown.stdout + shown.stderr
    # People see the differences too, as information (not only --json).
    assert "allocated_storage: source today 40, restored 20" in shown.stdout, shown.stdout
    run = cli.json("runs", "show", cli.json("runs", "list", "--kind", "drill")[0]["run_id"])
    v = run["validation"]
    assert v["passed"] and v["compared_with"] == "snapshot" and v["mismatches"] == {}
    assert v["source_differences"]["allocated_storage"] == {"source": 40, "restored": 20}


def test_cross_region_drill_restores_from_a_copied_snapshot(
    cli: Cli, aws: ClientFactory
) -> None:
    snapshot = newest_snapshot(aws)

    run = drill(cli, "--kind", "cross-region", "--target", "rds:roadtrip-db")

    assert run["validation"]["passed"], run["validation"]["problems"]
    assert {r["region"] for r in run["restored"]} == {"us-west-2"}
    assert {r["type"] for r in run["restored"]} == {"rds-instance", "rds-snapshot"}
    # A copy's own creation time is the copy; its data is as old as the original snapshot.
    assert same_instant(run["restore_point"], snapshot["OriginalSnapshotCreateTime"])
    assert run["steps"][0]["name"] == "copy_snapshot" and run["copy_seconds"] is not None
    assert len(run["cleanup"]["deleted"]) == 2


def test_a_snapshot_older_than_the_rpo_target_is_reported_as_missing_it(
    cli: Cli, tmp_path: Path
) -> None:
    playbook = tmp_path / "tight-rpo.yaml"
    playbook.write_text(PLAYBOOK.read_text().replace(
        "      instance_class: db.t3.micro\n",
        "      instance_class: db.t3.micro\n      targets: {rto: 1h, rpo: 1s}\n"))
    time.sleep(1.1)  # the seeded snapshot is now older than 1 s

    result = cli("drill", "--kind", "snapshot", "--target", "rds:roadtrip-db",
                 "--playbook", str(playbook))

    # The data came back, but the drill did not prove the RPO the playbook promises: it fails,
    # so a scheduled drill can alert on it, and says which target and why.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RPO target MISSED" in result.stdout
    assert "snapshots alone cannot meet this RPO" in result.stdout
    assert result.stderr.count("RPO target MISSED") == 0  # said once, with the run
    # Each thing once (issue 9 item 18): the error where it happened (the ✗ check_targets
    # line), the RTO and RPO lines, the after-run footer.
    assert result.stdout.count("RPO target MISSED") == 1, result.stdout
    figures = [line.split()[0] for line in result.stdout.splitlines()
               if line.startswith(("RTO", "RPO"))]
    assert figures == ["RTO", "RPO"], result.stdout
    assert result.stdout.count("full report:") == 1
    run = cli.json("runs", "show", cli.json("runs", "list", "--kind", "drill")[0]["run_id"])
    assert run["status"] == "failed" and run["targets_met"] is False
    assert run["validation"]["passed"] and run["rpo_met"] is False
    assert run["rpo_target_seconds"] == 1.0 and run["rpo_seconds"] > 1.0
    assert "rds:roadtrip-db (snapshot) restored and validated, but RPO target MISSED" in \
        run["error"]
    assert run["cleanup"]["status"] == "done"


def test_a_misconfigured_target_is_reported_first_and_the_healthy_drills_still_run(
    cli: Cli, tmp_path: Path
) -> None:
    result = cli("drill", "--kind", "pitr", "--json",
                 "--playbook", str(playbook_with(tmp_path, NO_PITR)))

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: point-in-time recovery is not enabled on table "
                                    "roadtrip-heartbeats")
    runs = json.loads(result.stdout)
    assert sorted(r["target"] for r in runs) == ["dynamodb:roadtrip-pois", "rds:roadtrip-db"]
    assert all(r["status"] == "succeeded" for r in runs)


def test_a_drill_refused_before_it_started_is_one_json_error_document(cli: Cli) -> None:
    """--json when no drill could start (another disruptive run holds the playbook): the one
    document is the error, as for every command that ends before a run -- not `[]`."""
    import getpass
    import os
    import socket

    from drctl.core.exclusive import lock_name
    from drctl.core.store import LockHolder
    from drctl.store.sqlite import SqliteStore

    cli.state_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(cli.state_dir / "journal.db")
    store.acquire_lock(LockHolder(lock_name("roadtrip"), "ch-20260101T000000-held00",
                                  getpass.getuser(), socket.gethostname(), os.getpid(),
                                  datetime.now(UTC)))
    store.close()

    result = cli("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois", "--json")

    assert result.returncode == 4, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["exit_code"] == 4 and "another disruptive run" in document["error"]
    assert document["hint"] and "ch-20260101T000000-held00" in document["hint"]
    assert result.stderr.count("another disruptive run") == 1


def test_every_declared_drill_runs_and_is_listed(cli: Cli) -> None:
    result = cli("drill", "--json")

    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert sorted((r["target"], r["drill_kind"]) for r in runs) == sorted([
        ("dynamodb:roadtrip-pois", "pitr"), ("dynamodb:roadtrip-pois", "snapshot"),
        ("rds:roadtrip-db", "snapshot"), ("rds:roadtrip-db", "pitr"),
        ("rds:roadtrip-db", "cross-region"),
        ("s3:roadtrip-media-us-east-1", "versions"), ("s3:roadtrip-media-us-east-1", "replica")])
    listed = cli.json("runs", "list", "--kind", "drill")
    assert {r["run_id"] for r in listed} == {r["run_id"] for r in runs}


# -- bad input: exit 2, a clear message, nothing created --


def playbook_with(tmp_path: Path, target: str) -> Path:
    """roadtrip.yaml with one more drill target (appended to drills.targets)."""
    return playbook_copy(tmp_path, PLAYBOOK.read_text() + target, "extra-target.yaml")


# Before the sandbox existed, inside any PITR retention: outside the restorable window.
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")

NO_PITR = """    - target: dynamodb:roadtrip-heartbeats
      region: us-east-1
      kinds: [pitr, snapshot]
      validation: {timestamp_attribute: written_at}
"""


@pytest.mark.parametrize(("args", "message"), [
    (("--target", "dynamodb:no-such-table"), "unknown drill target 'dynamodb:no-such-table'"),
    (("--target", "dynamodb:roadtrip-pois", "--kind", "cross-region"),
     "has no cross-region drill"),
    (("--target", "dynamodb:roadtrip-pois", "--kind", "pitr", "--at", YESTERDAY),
     "is outside the restorable window"),
    (("--target", "rds:roadtrip-db", "--kind", "pitr", "--at", YESTERDAY),
     "is outside the restorable window"),
    (("--target", "dynamodb:roadtrip-pois", "--kind", "pitr", "--at", "2001-01-01T00:00:00Z"),
     "is implausibly old"),
    (("--target", "dynamodb:roadtrip-pois", "--kind", "snapshot", "--at", YESTERDAY),
     "--at is the time to restore to, for pitr and versions drills only"),
    (("--kind", "tape"), "--kind 'tape'"),
    (("--target", "dynamodb:roadtrip-pois", "--kind", "pitr", "--at", ""),
     "--at '' is not an ISO 8601 time"),
    (("--target", "dynamodb:roadtrip-pois", "--kind", "pitr", "--at", "2026-01-01T00:00:00"),
     "has no UTC offset"),
    (("--target", "dynamodb:roadtrip-heartbeats", "--kind", "pitr"),
     "point-in-time recovery is not enabled on table roadtrip-heartbeats"),
    (("--target", "dynamodb:roadtrip-heartbeats", "--kind", "snapshot"),
     "no backup of table roadtrip-heartbeats exists"),
])
def test_bad_input_is_refused_with_exit_2_and_nothing_created(
    cli: Cli, aws: ClientFactory, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    tables_before = {r: aws.client("dynamodb", r).list_tables()["TableNames"] for r in REGIONS}

    result = cli("drill", *args, "--playbook", str(playbook_with(tmp_path, NO_PITR)))

    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr
    assert {r: aws.client("dynamodb", r).list_tables()["TableNames"] for r in REGIONS} == \
        tables_before
    assert cli.json("runs", "list", "--kind", "drill") == []


# -- a table under constant writes --

BUSY = "roadtrip-busy"
BUSY_TARGET = f"""    - target: dynamodb:{BUSY}
      region: us-east-1
      kinds: [pitr]
      validation: {{timestamp_attribute: updated_at}}
"""


class Writer(threading.Thread):
    """~20 writes/s over 40 keys, each stamped with whole seconds, as the seeded data is."""

    def __init__(self, aws: ClientFactory) -> None:
        super().__init__(daemon=True)
        self.ddb, self.stop, self.writes = aws.client("dynamodb", "us-east-1"), \
            threading.Event(), 0

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.ddb.put_item(TableName=BUSY, Item={
                "poi_id": {"S": f"busy-{self.writes % 40}"}, "n": {"N": str(self.writes)},
                "updated_at": {"N": str(int(time.time()))}})
            self.writes += 1


@pytest.fixture
def busy_table(aws: ClientFactory) -> Iterator[Writer]:
    ddb = aws.client("dynamodb", "us-east-1")
    ddb.create_table(TableName=BUSY, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "poi_id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "poi_id", "AttributeType": "S"}])
    ddb.update_continuous_backups(TableName=BUSY, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    old = int(time.time()) - 600
    for n in range(10):  # written long before any restore point: always judged
        ddb.put_item(TableName=BUSY, Item={"poi_id": {"S": f"old-{n}"}, "n": {"N": "0"},
                                           "updated_at": {"N": str(old)}})
    writer = Writer(aws)
    writer.start()
    try:
        yield writer
    finally:
        writer.stop.set()
        writer.join(timeout=10)
        ddb.delete_table(TableName=BUSY)


def test_pitr_drills_of_a_table_under_constant_writes_pass_every_time(
    cli: Cli, busy_table: Writer, tmp_path: Path
) -> None:
    playbook = str(playbook_with(tmp_path, BUSY_TARGET))
    time.sleep(1)  # some writes before the first restore point

    results = [cli("drill", "--target", f"dynamodb:{BUSY}", "--playbook", playbook, "--json")
               for _ in range(10)]

    documents = [json.loads(r.stdout) for r in results]
    assert all(isinstance(d, list) for d in documents), [r.stderr for r in results]
    runs = [d[0] for d in documents]
    failed = [r["validation"]["problems"] for r in runs if not r["validation"]["passed"]]
    assert failed == [] and [r.returncode for r in results] == [0] * 10
    assert busy_table.writes > 20 * 2 and all(r["validation"]["expected_items"] >= 10
                                             for r in runs)
    assert all(r["validation"]["unjudged"] > 0 for r in runs)


def test_validate_reports_a_timestamp_attribute_no_item_has_at_its_line(
    cli: Cli, tmp_path: Path
) -> None:
    text = PLAYBOOK.read_text()
    playbook = playbook_copy(tmp_path, text.replace("timestamp_attribute: updated_at",
                                                    "timestamp_attribute: updatedAt", 1),
                             "typo.yaml")
    line = next(n for n, row in enumerate(playbook.read_text().splitlines(), start=1)
                if "timestamp_attribute: updatedAt" in row)

    result = cli("validate", str(playbook), "--json")

    assert result.returncode == 2, result.stdout + result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert any(p.startswith(f"{playbook}:{line}:") and "updatedAt" in p
               and "would check nothing" in p for p in problems), problems
    # For people: each problem once, at its line; the closing error does not repeat it.
    shown = cli("validate", str(playbook))
    assert shown.returncode == 2
    output = shown.stdout + shown.stderr
    assert output.count(f"{playbook}:{line}:") == 1, output
    assert any(row.startswith(f"✗ {playbook}:{line}:") and row.endswith("would check nothing")
               for row in shown.stdout.splitlines()), shown.stdout  # one line, not wrapped
    assert f"error: {playbook}: 1 problem(s) with the live estate (each listed above)" in output
