"""DynamoDB drill validation: the restored table against the source as of the restore point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from drctl.drill.data_check import check_restored, checksum
from drctl.drill.resources import drill_name
from drctl.drill.stamps import resolution_of, stamp_of

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
    restored = [item("b", "X", BEFORE - timedelta(minutes=1)), item("c", "1", AFTER)]

    result = check_restored(source, restored, KEY, "updated_at", POINT)

    assert not result.passed
    assert len(result.missing) == len(result.differing) == len(result.too_new) == 1
    assert len(result.problems) == 3


def test_sample_keys_must_be_restored() -> None:
    source = [item("a", "1", BEFORE), item("b", "1", BEFORE)]

    result = check_restored(source, source[1:], KEY, "updated_at", POINT,
                            samples=[{"id": {"S": "a"}}, {"id": {"S": "b"}}])

    assert not result.passed and 'sample key(s) not restored: [{"S": "a"}]' in result.problems


def test_a_sample_key_deleted_from_the_source_is_named_as_a_source_change() -> None:
    source = [item("a", "1", BEFORE)]

    result = check_restored(source, source, KEY, "updated_at", POINT,
                            samples=[{"id": {"S": "a"}}, {"id": {"S": "zz"}}])

    assert not result.passed and len(result.problems) == 1
    assert "no longer exist in the source table" in result.problems[0]
    assert "not restored" not in result.problems[0]


def test_an_item_changed_in_the_source_without_a_new_stamp_names_the_source_change() -> None:
    restored = [item("a", "1", BEFORE), item("b", "1", BEFORE)]
    source = [item("a", "corrupted later", BEFORE), item("b", "1", BEFORE)]

    result = check_restored(source, restored, KEY, "updated_at", POINT)

    assert not result.passed and result.differing == [] and len(result.changed_in_source) == 1
    assert "changed after the restore point without a new stamp" in result.problems[0]


def test_a_misspelt_timestamp_attribute_checks_nothing_and_fails() -> None:
    source = [item(f"k{n}", "1", BEFORE) for n in range(82)]

    empty_backup = check_restored(source, [], KEY, "updatedAt", POINT)

    assert not empty_backup.passed and empty_backup.unstamped_source == 82
    assert "validation checked nothing" in empty_backup.problems[0]
    assert "updatedAt" in empty_backup.problems[0]
    assert not check_restored([], [], KEY, "updated_at", POINT).passed


def whole_second(at: datetime) -> dict[str, Any]:
    return {"N": str(int(at.timestamp()))}


def test_writes_stamped_just_before_the_point_but_committed_after_it_are_not_judged() -> None:
    """A writer stamping whole seconds, 20 writes/s: the restore holds what was committed by
    the point; the source, read later, also holds what was stamped before it but committed
    just after it."""
    source, restored = [], []
    for n in range(200):  # 10 s of writes ending 3 s after the point
        committed = POINT - timedelta(seconds=7) + timedelta(milliseconds=50 * n)
        stamped = committed - timedelta(milliseconds=30)   # the clock was read a bit earlier
        written = {"id": {"S": f"k{n % 40}"}, "v": {"S": str(n)}, "updated_at": whole_second(
            stamped)}
        source = [i for i in source if i["id"] != written["id"]] + [written]
        if committed <= POINT:
            restored = [i for i in restored if i["id"] != written["id"]] + [written]
    old = [item(f"old{n}", "1", BEFORE) for n in range(5)]

    result = check_restored(old + source, old + restored, KEY, "updated_at", POINT)

    assert result.passed, result.problems
    assert result.unjudged > 0 and result.window_seconds == 6.0
    assert result.matching_items == result.expected_items >= 5


def test_a_wrong_restore_still_fails_outside_the_window() -> None:
    source = [item("a", "1", POINT - timedelta(seconds=30)), item("b", "1", BEFORE),
              item("c", "1", POINT - timedelta(seconds=1))]   # in the window: not judged
    lost_b = [source[0]]
    changed_a = [{**source[0], "v": {"S": "2"}, "updated_at": whole_second(BEFORE)}, source[1]]

    assert check_restored(source, source[:2], KEY, "updated_at", POINT).passed
    assert check_restored(source, lost_b, KEY, "updated_at", POINT).missing == [
        '[{"S": "b"}]']
    differs = check_restored(source, changed_a, KEY, "updated_at", POINT)
    assert not differs.passed and differs.differing == ['[{"S": "a"}]']


def test_the_window_follows_the_stamp_resolution_and_the_configured_allowance() -> None:
    stamp = f"{(POINT - timedelta(seconds=2)).timestamp():.3f}"
    source = [{"id": {"S": "a"}, "updated_at": {"N": stamp}}]

    strict = check_restored(source, [], KEY, "updated_at", POINT, commit_latency=1.0)
    lenient = check_restored(source, [], KEY, "updated_at", POINT, commit_latency=5.0)

    assert strict.missing and strict.window_seconds == 1.001
    assert lenient.missing == [] and lenient.unjudged == 1


def test_stamps_read_epoch_seconds_milliseconds_and_iso() -> None:
    assert stamp_of({"t": {"N": str(POINT.timestamp())}}, "t") == POINT
    assert stamp_of({"t": {"N": str(int(POINT.timestamp() * 1000))}}, "t") == POINT
    assert stamp_of({"t": {"S": "2026-01-01T12:00:00Z"}}, "t") == POINT
    assert stamp_of({"t": {"S": "yesterday"}}, "t") is None
    assert resolution_of({"t": {"N": "1767268800"}}, "t") == 1.0
    assert resolution_of({"t": {"N": "1767268800.25"}}, "t") == 0.01
    assert resolution_of({"t": {"N": "1767268800250"}}, "t") == 0.001
    assert resolution_of({"t": {"S": "2026-01-01T12:00:00.5Z"}}, "t") == 0.1
    assert resolution_of({"t": {"S": "2026-01-01T12:00:00+00:00"}}, "t") == 1.0


def test_drill_names_are_valid_rds_identifiers() -> None:
    name = drill_name("My_DB." + "x" * 80, "dr-20260101T120000-abc123", "copy")
    assert len(name) <= 63 and name.endswith("-drill-abc123-copy")
    assert "--" not in name and name[0].isalpha()
