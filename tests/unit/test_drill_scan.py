"""A drill's validation reads the source and the restored copy at once, in scan segments."""

from __future__ import annotations

from typing import Any

import pytest

from drctl.aws.dynamodb_restore import SCAN_PAGE_ITEMS, DynamoDbRestore
from drctl.drill.dynamodb_steps import MAX_SEGMENTS, segments_for


class PagedScans:
    """Answers Scan as DynamoDB does: pages of `page` items, a segment being a disjoint share
    of the table chosen by its hash key."""

    def __init__(self, tables: dict[str, int], page: int = 3) -> None:
        self.tables = {name: [{"id": {"S": f"{name}-{i}"}} for i in range(count)]
                       for name, count in tables.items()}
        self.page = page
        self.calls: list[dict[str, Any]] = []

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        assert kwargs["ConsistentRead"] is True
        items = self.tables[kwargs["TableName"]]
        if "Segment" in kwargs:
            items = [i for n, i in enumerate(items) if n % kwargs["TotalSegments"]
                     == kwargs["Segment"]]
        start = kwargs.get("ExclusiveStartKey", {}).get("at", 0)
        page: dict[str, Any] = {"Items": items[start:start + self.page]}
        if start + self.page < len(items):
            page["LastEvaluatedKey"] = {"at": start + self.page}
        return page


@pytest.mark.parametrize("segments", [1, 4])
def test_every_item_of_both_tables_is_read_once(segments: int) -> None:
    client = PagedScans({"source": 23, "copy": 20})
    read = DynamoDbRestore(client, "us-east-1").all_items(["source", "copy"], segments)
    assert sorted(i["id"]["S"] for i in read["source"]) == sorted(
        f"source-{i}" for i in range(23))
    assert len(read["copy"]) == 20 and len({i["id"]["S"] for i in read["copy"]}) == 20
    used = {c.get("Segment") for c in client.calls}
    assert used == ({None} if segments == 1 else set(range(segments)))
    # Short pages: a stop lands within one, and 16 readers never wait out a read timeout.
    assert {c["Limit"] for c in client.calls} == {SCAN_PAGE_ITEMS}


def test_a_small_table_is_one_segment_and_a_large_one_several() -> None:
    assert segments_for(0) == 1
    assert segments_for(82) == 1
    assert segments_for(10_000) == 1
    assert segments_for(10_001) == 2
    assert segments_for(100_000) == MAX_SEGMENTS
    assert segments_for(10_000_000) == MAX_SEGMENTS


class RestoreRetriedAfterTimeout:
    """RestoreTableToPointInTime whose first attempt succeeded but timed out: the retry finds
    the table there (as AWS answers a second call with the same target name)."""

    def __init__(self, restored_from: str) -> None:
        self.restored_from = restored_from

    def restore_table_to_point_in_time(self, **kwargs: Any) -> None:
        from botocore.exceptions import ClientError

        message = f"Table already exists: {kwargs['TargetTableName']}"
        raise ClientError({"Error": {"Code": "TableAlreadyExistsException", "Message": message}},
                          "RestoreTableToPointInTime")

    def describe_table(self, TableName: str) -> dict[str, Any]:
        arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{self.restored_from}"
        return {"Table": {"TableName": TableName, "RestoreSummary": {
            "SourceTableArn": arn, "RestoreInProgress": True}}}


def test_a_retried_restore_that_finds_its_own_table_goes_on() -> None:
    ddb = DynamoDbRestore(RestoreRetriedAfterTimeout("pois"), "us-east-1")
    ddb.restore_to_point_in_time("pois", "pois-drill-1", None)  # no error: it is ours


def test_a_table_of_that_name_restored_from_elsewhere_is_a_conflict() -> None:
    from drctl.core.errors import AwsError

    ddb = DynamoDbRestore(RestoreRetriedAfterTimeout("other-pois"), "us-east-1")
    with pytest.raises(AwsError, match="TableAlreadyExists"):
        ddb.restore_to_point_in_time("pois", "pois-drill-1", None)
