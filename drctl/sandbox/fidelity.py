"""Fidelity fixes: where moto differs from AWS in a way drctl depends on, the sandbox corrects it.

Every fix here states AWS's behaviour in its docstring and has a test that asserts that
behaviour through boto3 (`tests/e2e/test_sandbox.py` for the RDS replica and Auto Scaling fixes,
`tests/e2e/test_drill_fidelity.py` for point-in-time recovery and backups,
`tests/e2e/test_sandbox_s3.py` for S3 replication, whose fixes live in `fidelity_s3`;
`tests/e2e/test_sandbox_health_checks.py` for Route53 health checks, `fidelity_route53`;
`tests/e2e/test_sandbox_dynamodb.py` for atomic conditional writes), so
when moto itself is fixed the test keeps passing and the fix can be deleted.

The fixes patch moto's backend classes in the supervisor process only (moto's backends are
process-global) and are applied once, before the moto server answers its first request.
Written against moto 5.1/5.2 (`moto.rds.models`, `moto.dynamodb`).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.autoscaling.exceptions import ValidationError as AutoScalingValidationError
from moto.autoscaling.models import AutoScalingBackend
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    PointInTimeRecoveryUnavailable,
    SourceTableNotFoundException,
    TableAlreadyExistsException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import RestoredPITTable, Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.rds.exceptions import DBInstanceNotFoundError, RDSClientError
from moto.rds.models import DBInstance, DBInstanceAutomatedBackup, RDSBackend

from drctl.sandbox import scan_pages
from drctl.sandbox.alarm_actions import apply_alarm_actions
from drctl.sandbox.fidelity_route53 import apply_route53_fixes
from drctl.sandbox.fidelity_s3 import apply_s3_fixes

# moto's backends are process-global, so its unpatched methods are too: kept here so that a
# fix can call through to moto, and so that applying the fixes twice is harmless.
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
    """AWS: `PromoteReadReplica` makes the replica a standalone instance. Afterwards the promoted
    instance has no `ReadReplicaSourceDBInstanceIdentifier`, and the source no longer lists it in
    `ReadReplicaDBInstanceIdentifiers` -- also for a cross-region replica, where the source lists
    the replica by ARN.

    moto: clears the replica flag only; both links survive, so a promoted cross-region replica
    still names its source and drctl cannot verify a failover's `promote` step.
    """
    database = self.describe_db_instances(db_kwargs["db_instance_identifier"])[0]
    source_id = database.source_db_instance_identifier if database.is_replica else None
    promoted: DBInstance = _ORIGINALS["promote_read_replica"](self, db_kwargs)
    if source_id:
        _detach_from_source(self, promoted, source_id)
        promoted.source_db_instance_identifier = None
    return promoted


def remove_replica(self: DBInstance, replica: DBInstance) -> None:
    """AWS: deleting a cross-region read replica removes it from the source's
    `ReadReplicaDBInstanceIdentifiers`.

    moto: lists cross-region replicas by ARN but removes them by identifier, so
    `DeleteDBInstance` of a cross-region replica fails with an internal error (and a drill that
    cleans up its replica cannot).
    """
    for reference in (replica.db_instance_arn, replica.db_instance_identifier):
        if reference in self.replicas:
            self.replicas.remove(reference)


def _detach_from_source(backend: RDSBackend, replica: DBInstance, source_id: str) -> None:
    try:
        source = backend.find_db_from_id(source_id)
    except DBInstanceNotFoundError:
        return  # the source is gone already (as in a regional failover); nothing lists us
    remove_replica(source, replica)


def restore_window(self: DBInstanceAutomatedBackup) -> dict[str, datetime] | None:
    """AWS: `DescribeDBInstanceAutomatedBackups` gives each instance's `RestoreWindow`
    (`EarliestTime`, `LatestTime`): the span a point-in-time restore may ask for.

    moto: has no `RestoreWindow`, so a drill cannot check `--at` before it restores. Here the
    window runs from the oldest automated snapshot to the instance's latest restorable time.
    """
    if not self.automated_snapshots:
        return None
    earliest = min(snapshot.created for snapshot in self.automated_snapshots)
    database = self.backend.databases.get(self.db_instance_identifier)
    latest = database.latest_restorable_time if database is not None else earliest
    return {"EarliestTime": earliest, "LatestTime": latest}


def restore_db_instance_to_point_in_time(
    self: RDSBackend, source_db_identifier: str, target_db_identifier: str,
    overrides: dict[str, Any],
) -> DBInstance:
    """AWS: an instance whose `BackupRetentionPeriod` is 0 has no automated backups, and
    `RestoreDBInstanceToPointInTime` from it fails with `PointInTimeRestoreNotEnabled`.

    moto: restores it anyway.
    """
    source = self.describe_db_instances(source_db_identifier)[0]
    if not source.backup_retention_period:
        raise RDSClientError(
            "PointInTimeRestoreNotEnabled",
            f"DB instance {source_db_identifier} has automated backups disabled "
            "(BackupRetentionPeriod 0): point-in-time restore is not enabled",
        )
    restored: DBInstance = _ORIGINALS["restore_db_instance_to_point_in_time"](
        self, source_db_identifier, target_db_identifier, overrides)
    return restored


# -- DynamoDB point-in-time recovery --
#
# A PITR-enabled table keeps the history of every item version written to it (PutItem,
# UpdateItem, DeleteItem, BatchWriteItem and transactions all end in the three hooks below),
# starting from its contents when PITR was turned on. A restore rebuilds the table as of the
# time asked. History lives on moto's Table object, so a transaction's rollback (which puts back
# a deep copy of the table) rolls the history back with it.

_HISTORY = "_drctl_pitr_history"  # list of (unix time, hash key, range key, item or None)
_SINCE = "_drctl_pitr_since"      # unix time PITR was (last) enabled
_DAY = 86400.0


def save_automated_backup(self: DBInstance) -> None:
    """AWS: an instance with `BackupRetentionPeriod=0` has automated backups off: RDS takes no
    automated snapshot of it (and offers no point-in-time restore); only manual snapshots exist.

    moto: takes an automated snapshot of every new instance, whatever its retention, so a
    snapshot drill of a database with backups off would pass in the sandbox.
    """
    if int(self.backup_retention_period or 0) == 0:
        return
    _ORIGINALS["save_automated_backup"](self)


class InvalidRestoreTime(JsonRESTError):
    def __init__(self, when: float, earliest: float, latest: float) -> None:
        super().__init__(
            ERROR_TYPE_PREFIX + "InvalidRestoreTimeException",
            f"Given restore time {_stamp(when)} is outside the restore window "
            f"[{_stamp(earliest)}, {_stamp(latest)}]",
        )


def _stamp(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds")


def _pitr_enabled(table: Table) -> bool:
    description = table.continuous_backups["PointInTimeRecoveryDescription"]
    return bool(description.get("PointInTimeRecoveryStatus") == "ENABLED")


def _record(table: Table, hash_key: Any, range_key: Any, item: Item | None) -> None:
    history = getattr(table, _HISTORY, None)
    if history is not None and _pitr_enabled(table):
        history.append((time.time(), hash_key, range_key, copy.deepcopy(item)))


def table_put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
    item: Item = _ORIGINALS["table_put_item"](self, *args, **kwargs)
    scan_pages.changed(self)
    _record(self, item.hash_key, item.range_key, item)
    return item


def table_delete_item(self: Table, hash_key: Any, range_key: Any) -> Item | None:
    item: Item | None = _ORIGINALS["table_delete_item"](self, hash_key, range_key)
    if item is not None:
        scan_pages.changed(self)
        _record(self, hash_key, range_key, None)
    return item


# One lock for every DynamoDB write in the sandbox: see `_atomic`.
_DYNAMODB_WRITES = threading.RLock()

# Scan pages that cost their own items (drctl/sandbox/scan_pages.py): a performance fix.
table_scan = scan_pages.paged_scan(lambda *args, **kwargs: _ORIGINALS["table_scan"](
    *args, **kwargs), _DYNAMODB_WRITES)


def _atomic(name: str) -> Callable[..., Any]:
    """AWS: a DynamoDB write is atomic per item, its condition expression evaluated and the
    write made as one step, so of many concurrent `attribute_not_exists` puts of one key exactly
    one succeeds. moto: the condition is checked, then the item stored, in the request's thread
    with no lock, so two threads of the moto server can both pass the check and both "win" (a
    lock taken twice: seen in CI, 2 of 8 acquirers). Each write runs under one process lock.
    """
    def write(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _DYNAMODB_WRITES:
            return _ORIGINALS[name](self, *args, **kwargs)
    write.__name__ = write.__qualname__ = name
    return write


def update_item(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Item:
    with _DYNAMODB_WRITES:
        item: Item = _ORIGINALS["update_item"](self, table_name, *args, **kwargs)
        scan_pages.changed(self.get_table(table_name))  # an item changed in place
        _record(self.get_table(table_name), item.hash_key, item.range_key, item)
    return item


def update_continuous_backups(
    self: DynamoDBBackend, table_name: str, point_in_time_spec: dict[str, Any]
) -> dict[str, Any]:
    """Turning PITR on starts the table's history from what it holds now; turning it off
    forgets it (AWS: re-enabling starts a new restore window)."""
    result: dict[str, Any] = _ORIGINALS["update_continuous_backups"](
        self, table_name, point_in_time_spec)
    table = self.get_table(table_name)
    if not _pitr_enabled(table):
        setattr(table, _HISTORY, None)
    elif getattr(table, _HISTORY, None) is None:
        now = time.time()
        setattr(table, _SINCE, now)
        setattr(table, _HISTORY, [(now, item.hash_key, item.range_key, copy.deepcopy(item))
                                  for item in table.all_items()])
    return result


def restore_window_of(table: Table, now: float) -> tuple[float, float]:
    """(earliest, latest) restorable unix times of a PITR-enabled table."""
    description = table.continuous_backups["PointInTimeRecoveryDescription"]
    days = float(description.get("RecoveryPeriodInDays", 35))
    since = float(getattr(table, _SINCE, now))
    return max(since, now - days * _DAY), now


def describe_continuous_backups(self: DynamoDBBackend, table_name: str) -> dict[str, Any]:
    """AWS: `LatestRestorableDateTime` moves forward with time (typically about five minutes
    behind now) and `EarliestRestorableDateTime` is when PITR was enabled, or the start of the
    recovery period.

    moto: both stay frozen at the moment PITR was enabled. Here the latest restorable time is
    now (the sandbox does not make drills wait five minutes) and the earliest is the enable time.
    """
    result: dict[str, Any] = _ORIGINALS["describe_continuous_backups"](self, table_name)
    table = self.get_table(table_name)
    if _pitr_enabled(table) and getattr(table, _HISTORY, None) is not None:
        earliest, latest = restore_window_of(table, time.time())
        description = table.continuous_backups["PointInTimeRecoveryDescription"]
        description["EarliestRestorableDateTime"] = earliest
        description["LatestRestorableDateTime"] = latest
    return result


def restore_table_as_of(
    backend: DynamoDBBackend, target: str, source_name: str, when: float | None,
) -> RestoredPITTable:
    """AWS: `RestoreTableToPointInTime` creates a table holding the source's items as they were
    at `RestoreDateTime` (or at the latest restorable time with `UseLatestRestorableTime`), and
    reports the time used as `RestoreSummary.RestoreDateTime`. It fails with
    `PointInTimeRecoveryUnavailableException` when the source has PITR off, and with
    `InvalidRestoreTimeException` for a time outside the restore window.

    moto: copies the source's *current* items whatever time is asked, checks neither.
    """
    try:
        source = backend.get_table(source_name)
    except Exception as exc:  # moto raises ResourceNotFoundException; AWS answers this
        raise SourceTableNotFoundException(source_name) from exc
    history = getattr(source, _HISTORY, None)
    if not _pitr_enabled(source) or history is None:
        raise PointInTimeRecoveryUnavailable(source_name)
    if target in backend.tables:
        raise TableAlreadyExistsException(target)
    earliest, latest = restore_window_of(source, time.time())
    at = latest if when is None else when
    if not earliest <= at <= latest:
        raise InvalidRestoreTime(at, earliest, latest)
    table = RestoredPITTable(  # type: ignore[abstract]
        target, account_id=backend.account_id, region=backend.region_name, source=source)
    table.items = _items_as_of(source, history, at)
    table.restore_date_time = datetime.fromtimestamp(at, UTC)
    backend.tables[target] = table
    return table


def _items_as_of(source: Table, history: list[Any], at: float) -> Any:
    latest: dict[tuple[Any, Any], Item | None] = {}
    for written_at, hash_key, range_key, item in history:
        if written_at <= at:
            latest[(hash_key, range_key)] = item
    items: Any = type(source.items)(dict)  # moto's defaultdict(dict)
    for (hash_key, range_key), item in latest.items():
        if item is None:
            continue
        if source.has_range_key:
            items[hash_key][range_key] = copy.deepcopy(item)
        else:
            items[hash_key] = copy.deepcopy(item)
    return items


def handle_restore_table_to_point_in_time(self: DynamoHandler) -> DynamoResult:
    """moto's handler drops `RestoreDateTime`, `UseLatestRestorableTime` and `SourceTableArn`;
    this one reads them."""
    body = self.body
    source = body.get("SourceTableName") or str(body.get("SourceTableArn", "")).split("/")[-1]
    when = None if body.get("UseLatestRestorableTime") else body.get("RestoreDateTime")
    restored = restore_table_as_of(self.dynamodb_backend, body["TargetTableName"], source,
                                   _unix(when))
    return DynamoResult(restored.describe())


def _unix(value: Any) -> float | None:
    """A request timestamp as unix time (moto parses some into datetimes, some not)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=UTC).timestamp()
    return float(value)


def set_desired_capacity(
    self: AutoScalingBackend, group_name: str, desired_capacity: int | None
) -> None:
    """SetDesiredCapacity as AWS: a value outside [MinSize, MaxSize] is refused with a
    ValidationError ("New SetDesiredCapacity value 20 is above max value 12 for the
    AutoScalingGroup."); moto sets it regardless."""
    group = self.autoscaling_groups.get(group_name)
    if group is not None and desired_capacity is not None:
        if group.max_size is not None and desired_capacity > group.max_size:
            raise AutoScalingValidationError(
                f"New SetDesiredCapacity value {desired_capacity} is above max value "
                f"{group.max_size} for the AutoScalingGroup.")
        if group.min_size is not None and desired_capacity < group.min_size:
            raise AutoScalingValidationError(
                f"New SetDesiredCapacity value {desired_capacity} is below min value "
                f"{group.min_size} for the AutoScalingGroup.")
    _ORIGINALS["set_desired_capacity"](self, group_name, desired_capacity)


_FIXES: dict[str, tuple[type, str, Any]] = {
    "promote_read_replica": (RDSBackend, "promote_read_replica", promote_read_replica),
    "remove_replica": (DBInstance, "remove_replica", remove_replica),
    "save_automated_backup": (DBInstance, "save_automated_backup", save_automated_backup),
    "restore_db_instance_to_point_in_time": (
        RDSBackend, "restore_db_instance_to_point_in_time", restore_db_instance_to_point_in_time),
    "automated_backup_restore_window": (
        DBInstanceAutomatedBackup, "restore_window", property(restore_window)),
    "table_put_item": (Table, "put_item", table_put_item),
    "table_delete_item": (Table, "delete_item", table_delete_item),
    "table_scan": (Table, "scan", table_scan),
    "update_item": (DynamoDBBackend, "update_item", update_item),
    "put_item": (DynamoDBBackend, "put_item", _atomic("put_item")),
    "delete_item": (DynamoDBBackend, "delete_item", _atomic("delete_item")),
    "transact_write_items": (
        DynamoDBBackend, "transact_write_items", _atomic("transact_write_items")),
    "update_continuous_backups": (
        DynamoDBBackend, "update_continuous_backups", update_continuous_backups),
    "describe_continuous_backups": (
        DynamoDBBackend, "describe_continuous_backups", describe_continuous_backups),
    "restore_table_to_point_in_time": (
        DynamoHandler, "restore_table_to_point_in_time", handle_restore_table_to_point_in_time),
    "set_desired_capacity": (AutoScalingBackend, "set_desired_capacity", set_desired_capacity),
}


def apply_fidelity_fixes() -> list[str]:
    """Patch moto in this process. Idempotent. Returns the names of the fixes in force."""
    for name, (owner, attribute, fix) in _FIXES.items():
        if name not in _ORIGINALS:
            _ORIGINALS[name] = getattr(owner, attribute, None)  # type: ignore[assignment]
            setattr(owner, attribute, fix)
    return sorted([*_FIXES, *apply_s3_fixes(), *apply_alarm_actions(), *apply_route53_fixes()])
