"""Sandbox fidelity for drills (drctl/sandbox/fidelity.py): each test states what AWS does.

Through plain boto3 against a live sandbox, so when moto itself behaves like AWS these still pass
and the fix can go.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drctl.aws.clients import ClientFactory

pytestmark = pytest.mark.e2e

REGION = "us-east-1"


@pytest.fixture
def ddb(aws: ClientFactory) -> Iterator[Any]:
    client = aws.client("dynamodb", REGION)
    before = set(client.list_tables()["TableNames"])
    yield client
    for table in set(client.list_tables()["TableNames"]) - before:
        client.delete_table(TableName=table)


def new_table(ddb: Any, pitr: bool = True) -> str:
    name = f"fidelity-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    if pitr:
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    return name


def items(ddb: Any, table: str) -> dict[str, str]:
    return {i["k"]["S"]: i["v"]["S"] for i in ddb.scan(TableName=table)["Items"]}


def put(ddb: Any, table: str, key: str, value: str) -> None:
    ddb.put_item(TableName=table, Item={"k": {"S": key}, "v": {"S": value}})


def test_pitr_restore_returns_the_table_as_it_was_at_the_time_asked(ddb: Any) -> None:
    table = new_table(ddb)
    put(ddb, table, "a", "1")
    put(ddb, table, "b", "1")
    time.sleep(0.3)
    point = datetime.now(UTC)
    time.sleep(0.3)
    put(ddb, table, "a", "2")                                             # PutItem
    ddb.update_item(TableName=table, Key={"k": {"S": "b"}},              # UpdateItem
                    UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "2"}})
    ddb.batch_write_item(RequestItems={table: [                          # BatchWriteItem
        {"PutRequest": {"Item": {"k": {"S": "c"}, "v": {"S": "2"}}}}]})

    restored = ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=f"{table}-at", RestoreDateTime=point)

    assert items(ddb, f"{table}-at") == {"a": "1", "b": "1"}
    summary = restored["TableDescription"]["RestoreSummary"]
    assert abs((summary["RestoreDateTime"] - point).total_seconds()) < 0.001


def test_pitr_restore_brings_back_a_deleted_item(ddb: Any) -> None:
    table = new_table(ddb)
    put(ddb, table, "a", "1")
    time.sleep(0.3)
    point = datetime.now(UTC)
    time.sleep(0.3)
    ddb.delete_item(TableName=table, Key={"k": {"S": "a"}})

    ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=f"{table}-at", RestoreDateTime=point)

    assert items(ddb, f"{table}-at") == {"a": "1"}


def test_latest_restorable_time_moves_forward_and_restores_everything(ddb: Any) -> None:
    table = new_table(ddb)
    first = ddb.describe_continuous_backups(TableName=table)[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    time.sleep(0.3)
    put(ddb, table, "a", "1")
    then = ddb.describe_continuous_backups(TableName=table)[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]

    assert then["LatestRestorableDateTime"] > first["LatestRestorableDateTime"]
    assert then["EarliestRestorableDateTime"] == first["EarliestRestorableDateTime"]
    ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=f"{table}-latest", UseLatestRestorableTime=True)
    assert items(ddb, f"{table}-latest") == {"a": "1"}


def test_pitr_restore_outside_the_window_or_without_pitr_is_refused(ddb: Any) -> None:
    table, plain = new_table(ddb), new_table(ddb, pitr=False)

    with pytest.raises(ClientError) as too_early:
        ddb.restore_table_to_point_in_time(
            SourceTableName=table, TargetTableName=f"{table}-x",
            RestoreDateTime=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(ClientError) as no_pitr:
        ddb.restore_table_to_point_in_time(
            SourceTableName=plain, TargetTableName=f"{plain}-x", UseLatestRestorableTime=True)

    assert too_early.value.response["Error"]["Code"] == "InvalidRestoreTimeException"
    assert no_pitr.value.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"
    assert f"{table}-x" not in ddb.list_tables()["TableNames"]


def test_rds_automated_backups_have_a_restore_window(aws: ClientFactory) -> None:
    rds = aws.client("rds", REGION)
    backups = rds.describe_db_instance_automated_backups(
        DBInstanceIdentifier="roadtrip-db")["DBInstanceAutomatedBackups"]
    window = backups[0]["RestoreWindow"]
    assert window["EarliestTime"] <= window["LatestTime"] <= datetime.now(UTC)


def test_rds_pitr_without_automated_backups_is_refused(aws: ClientFactory) -> None:
    rds, name = aws.client("rds", REGION), f"fidelity-{uuid.uuid4().hex[:8]}"
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", AllocatedStorage=20,
                           DBInstanceClass="db.t3.micro", BackupRetentionPeriod=0,
                           MasterUsername="fidelity", MasterUserPassword="not-a-secret-1")
    try:
        with pytest.raises(ClientError) as refused:
            rds.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier=name, TargetDBInstanceIdentifier=f"{name}-x",
                UseLatestRestorableTime=True)
        assert refused.value.response["Error"]["Code"] == "PointInTimeRestoreNotEnabled"
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)


def test_rds_takes_no_automated_snapshot_of_an_instance_with_backups_off(
    aws: ClientFactory,
) -> None:
    """AWS: BackupRetentionPeriod=0 turns automated backups off: no automated snapshot is
    taken (only manual ones exist), so a snapshot drill has nothing to restore."""
    rds, name = aws.client("rds", REGION), f"fidelity-{uuid.uuid4().hex[:8]}"
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", AllocatedStorage=20,
                           DBInstanceClass="db.t3.micro", BackupRetentionPeriod=0,
                           MasterUsername="fidelity", MasterUserPassword="not-a-secret-1")
    try:
        snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=name)["DBSnapshots"]
        assert snapshots == []
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier=f"{name}-manual")
        kinds = [s["SnapshotType"] for s in
                 rds.describe_db_snapshots(DBInstanceIdentifier=name)["DBSnapshots"]]
        assert kinds == ["manual"]
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
        with suppress(ClientError):
            rds.delete_db_snapshot(DBSnapshotIdentifier=f"{name}-manual")
