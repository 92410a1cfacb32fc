"""S3 drills, the pure part: which version a restore as of T takes (delete markers honoured),
how the restored objects are judged, and what a replica check calls missing or stale."""

from __future__ import annotations

from datetime import timedelta

from drctl.aws.s3 import ObjectVersion
from drctl.drill.s3_versions import Restored, check_replica, check_versions, sha256, versions_as_of
from tests.unit.helpers import T0


def v(key: str, version: str, seconds: float, marker: bool = False,
      latest: bool = False) -> ObjectVersion:
    return ObjectVersion(key, version, T0 + timedelta(seconds=seconds), latest, marker, 3, "e")


def test_each_keys_newest_version_at_or_before_t_and_delete_markers_honoured() -> None:
    versions = [v("a", "a1", -10), v("a", "a2", 5), v("b", "b1", -10), v("b", "bx", -2, True),
                v("c", "c1", -10), v("c", "cx", 3, True), v("d", "d1", 4),
                v("e", "e1", 0)]  # written in T's own second (LastModified is to the second)

    chosen = versions_as_of(versions, T0 + timedelta(seconds=0.5))

    assert {k: x.version_id for k, x in chosen.items()} == {"a": "a1", "c": "c1", "e": "e1"}


def test_restored_objects_must_be_the_chosen_versions_and_nothing_else() -> None:
    chosen = {"a": v("a", "a1", -10), "b": v("b", "b1", -5)}
    source = {"a": sha256(b"abc"), "b": sha256(b"xyz")}
    restored = {"a": Restored("a", 3, sha256(b"abc")), "b": Restored("b", 3, sha256(b"XYZ")),
                "z": Restored("z", 1, sha256(b"z"))}

    result = check_versions(chosen, source, restored, T0)

    assert not result.passed
    assert result.differing == ["b"] and result.unexpected == ["z"] and result.missing == []
    assert result.effective_restore_point == "2026-01-01T11:59:55.000Z"


def test_a_drill_that_had_nothing_to_restore_fails() -> None:
    result = check_versions({}, {}, {}, T0)

    assert not result.passed and result.problems[0].startswith("nothing to validate")


def test_replica_missing_or_stale_beyond_the_lag_fails_newer_ones_are_in_flight() -> None:
    source = {"old": v("old", "o2", -120), "gone": v("gone", "g1", -100),
              "new": v("new", "n1", -5)}
    replica = {"old": v("old", "o1", -130)}

    result = check_replica(source, replica, T0, allowed_lag=30)

    assert result.stale == ["old"] and result.missing == ["gone"] and result.in_flight == 1
    assert result.complete_until == T0 - timedelta(seconds=120)
    assert not result.passed
