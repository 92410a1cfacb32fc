"""DynamoDB restores for drills: PITR windows, on-demand backups, restored tables and their tags.

Items are returned in DynamoDB's wire format (`{"S": ...}`), exactly as the API sends them, so a
checksum over them compares what is stored, not a Python rendering of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import AwsError, ResourceMissing

# Items a Scan request asks for. DynamoDB caps a page at 1 MB (thousands of small items); a
# page of at most this many keeps every request short: a Ctrl-C stops the readers within one
# page, and 16 segment readers at once never wait out an SDK read timeout on a slow endpoint
# (the sandbox serialises a 1 MB page in ~2.4 s of CPU: 16 of them at once took > 30 s each,
# botocore's read timeout, and the drill failed on retries). Against DynamoDB it costs a few
# more round trips per segment.
SCAN_PAGE_ITEMS = 1_000

Item = dict[str, Any]


@dataclass(frozen=True)
class PitrWindow:
    enabled: bool
    earliest: datetime | None = None
    latest: datetime | None = None


@dataclass(frozen=True)
class TableBackup:
    arn: str
    name: str
    created_at: datetime
    status: str


@dataclass(frozen=True)
class TableState:
    name: str
    arn: str
    status: str
    key: tuple[str, ...]                # hash key, then range key if any
    restored_to: datetime | None = None  # RestoreSummary.RestoreDateTime of a restored table
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None    # CreationDateTime

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


class DynamoDbRestore:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def table(self, name: str) -> TableState:
        """The table's state. Raises ResourceMissing when it does not exist."""
        with aws_call(f"describe table {name}", self.region):
            table = self._client.describe_table(TableName=name)["Table"]
        keys = sorted(table["KeySchema"], key=lambda k: k["KeyType"] != "HASH")
        summary = table.get("RestoreSummary") or {}
        return TableState(name, table["TableArn"], table["TableStatus"],
                          tuple(k["AttributeName"] for k in keys),
                          summary.get("RestoreDateTime"), created_at=table.get("CreationDateTime"))

    def exists(self, name: str) -> bool:
        try:
            self.table(name)
        except ResourceMissing:
            return False
        return True

    def pitr_window(self, table: str) -> PitrWindow:
        """Whether PITR is on, and the restorable window when it is."""
        with aws_call(f"describe continuous backups of {table}", self.region):
            found = self._client.describe_continuous_backups(TableName=table)
            pitr = found["ContinuousBackupsDescription"].get(
                "PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            return PitrWindow(False)
        return PitrWindow(True, pitr.get("EarliestRestorableDateTime"),
                          pitr.get("LatestRestorableDateTime"))

    def latest_backup(self, table: str) -> TableBackup | None:
        """The newest AVAILABLE on-demand (or AWS Backup) backup of `table`, or None."""
        backups: list[TableBackup] = []
        kwargs: dict[str, Any] = {"TableName": table, "BackupType": "ALL"}
        while True:
            with aws_call(f"list backups of {table}", self.region):
                page = self._client.list_backups(**kwargs)
            backups += [TableBackup(b["BackupArn"], b["BackupName"], b["BackupCreationDateTime"],
                                    b["BackupStatus"])
                        for b in page.get("BackupSummaries", [])
                        if b.get("BackupStatus") == "AVAILABLE"]
            if not page.get("LastEvaluatedBackupArn"):
                break
            kwargs["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]
        return max(backups, key=lambda b: b.created_at, default=None)

    def restore_to_point_in_time(self, source: str, target: str, at: datetime | None) -> None:
        """Start restoring `source` as of `at` (None: the latest restorable time) into `target`."""
        when: dict[str, Any] = ({"RestoreDateTime": at} if at is not None
                                else {"UseLatestRestorableTime": True})
        with self._restoring(target, lambda s: s.get("SourceTableArn", "").endswith(
                f":table/{source}")), aws_call(
                f"restore {source} to a point in time as {target}", self.region):
            self._client.restore_table_to_point_in_time(
                SourceTableName=source, TargetTableName=target, **when)

    def restore_from_backup(self, backup_arn: str, target: str) -> None:
        with self._restoring(target, lambda s: s.get("SourceBackupArn") == backup_arn), aws_call(
                f"restore backup {backup_arn} as {target}", self.region):
            self._client.restore_table_from_backup(TargetTableName=target, BackupArn=backup_arn)

    @contextmanager
    def _restoring(self, target: str, ours: Callable[[dict[str, Any]], bool]) -> Iterator[None]:
        """A restore call is not idempotent: when a retry (after a read timeout) finds `target`
        already there, it is our first attempt's table if its RestoreSummary names our source;
        anything else is a real conflict."""
        try:
            yield
        except AwsError as exc:
            if exc.code != "TableAlreadyExistsException" or not ours(self._summary(target)):
                raise

    def _summary(self, target: str) -> dict[str, Any]:
        with aws_call(f"describe table {target}", self.region):
            table = self._client.describe_table(TableName=target)["Table"]
        return dict(table.get("RestoreSummary") or {})

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with aws_call(f"tag {arn}", self.region):
            self._client.tag_resource(
                ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    def tags(self, arn: str) -> dict[str, str]:
        found: dict[str, str] = {}
        kwargs: dict[str, Any] = {"ResourceArn": arn}
        while True:
            with aws_call(f"list tags of {arn}", self.region):
                page = self._client.list_tags_of_resource(**kwargs)
            found.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]

    def table_names(self) -> list[str]:
        names: list[str] = []
        with aws_call("list tables", self.region):
            for page in self._client.get_paginator("list_tables").paginate():
                names += page.get("TableNames", [])
        return names

    def delete_table(self, name: str) -> bool:
        """Delete the table; False when it was already gone."""
        try:
            with aws_call(f"delete table {name}", self.region):
                self._client.delete_table(TableName=name)
        except ResourceMissing:
            return False
        return True

    def items(self, table: str, segment: tuple[int, int] | None = None) -> Iterator[Item]:
        """Every item (of one `(segment, total)` of the table), strongly consistent, in wire
        format."""
        kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True,
                                  "Limit": SCAN_PAGE_ITEMS}
        if segment is not None:
            kwargs.update(Segment=segment[0], TotalSegments=segment[1])
        while True:
            with aws_call(f"scan {table}", self.region):
                page = self._client.scan(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def all_items(self, tables: list[str], segments: int = 1) -> dict[str, list[Item]]:
        """Every item of each table, the tables read at once and each as `segments` parallel
        scan segments (DynamoDB's way to read a large table at the speed of its partitions
        rather than of one cursor). Interrupted, the readers stop after their current page."""
        stop = threading.Event()

        def read(table: str, segment: int) -> list[Item]:
            found: list[Item] = []
            for item in self.items(table, (segment, segments) if segments > 1 else None):
                if stop.is_set():
                    break
                found.append(item)
            return found

        pool = ThreadPoolExecutor(len(tables) * segments, thread_name_prefix="scan")
        try:
            futures = {t: [pool.submit(read, t, i) for i in range(segments)] for t in tables}
            return {t: [item for f in parts for item in f.result()] for t, parts in futures.items()}
        finally:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def item_count(self, table: str) -> int:
        """DescribeTable's ItemCount: AWS refreshes it about every six hours, so an estimate."""
        with aws_call(f"describe table {table}", self.region):
            return int(self._client.describe_table(TableName=table)["Table"].get("ItemCount", 0))

    def get_item(self, table: str, key: Item) -> Item | None:
        """One item by its wire-format key, strongly consistent, or None."""
        with aws_call(f"get item from {table}", self.region):
            found = self._client.get_item(TableName=table, Key=key, ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item
