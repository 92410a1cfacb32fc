"""DynamoDB drill validation: the restored table against the source as of the restore point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from drctl.drill.data_check import check_restored, checksum, stamp_of
from drctl.drill.resources import drill_name

POINT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
KEY = ("id",)


def item(key: str, value: str, at: datetime) -> dict[str, Any]:
    return {"id": {"S": key}, "v": {"S": value}, "updated_at": {"N": str(at.timestamp())}}


BEFORE, AFTER = POINT - timedelta(minutes=5), POINT + timedelta(minutes=5)


def test_identical_data_as_of_the_point_passes_with_the_newest_stamp_as_effective_point() -> None:
    source = [item("a", "1", BEFORE), item("b", "1", POINT - timedelta(minutes=1))]

    result = check_restored(source, list(reversed(source)), KEY, "updated_at", POINT)

    assert result.passed and result.matching_items == 2
    assert result.restored_checksum == result.expected_checksum == checksum(source)
    assert result.effective_restore_point == "2026-01-01T11:59:00.000Z"


def test_items_changed_after_the_point_are_superseded_not_failures() -> None:
    source = [item("a", "2", AFTER), item("b", "1", BEFORE), item("new", "1", AFTER)]
    restored = [item("a", "1", BEFORE), item("b", "1", BEFORE), item("gone", "1", BEFORE)]

    result = check_restored(source, restored, KEY, "updated_at", POINT)

    assert result.passed, result.problems
    assert result.superseded == 2 and result.expected_items == 1


def test_missing_differing_and_too_new_items_fail() -> None:
    source = [item("a", "1", BEFORE), item("b", "1", BEFORE)]
    restored = [item("b", "X", BEFORE), item("c", "1", AFTER)]

    result = check_restored(source, restored, KEY, "updated_at", POINT)

    assert not result.passed
    assert len(result.missing) == len(result.differing) == len(result.too_new) == 1
    assert len(result.problems) == 3


def test_sample_keys_must_be_restored() -> None:
    source = [item("a", "1", BEFORE)]

    result = check_restored(source, source, KEY, "updated_at", POINT,
                            samples=[{"id": {"S": "a"}}, {"id": {"S": "zz"}}])

    assert not result.passed and "sample key(s) not restored" in result.problems[0]


def test_stamps_read_epoch_seconds_milliseconds_and_iso() -> None:
    assert stamp_of({"t": {"N": str(POINT.timestamp())}}, "t") == POINT
    assert stamp_of({"t": {"N": str(int(POINT.timestamp() * 1000))}}, "t") == POINT
    assert stamp_of({"t": {"S": "2026-01-01T12:00:00Z"}}, "t") == POINT
    assert stamp_of({"t": {"S": "yesterday"}}, "t") is None


def test_drill_names_are_valid_rds_identifiers() -> None:
    name = drill_name("My_DB." + "x" * 80, "dr-20260101T120000-abc123", "copy")
    assert len(name) <= 63 and name.endswith("-drill-abc123-copy")
    assert "--" not in name and name[0].isalpha()
