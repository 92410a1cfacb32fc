"""S3 drills, the pure part: which version a restore as of T takes (delete markers honoured),
how the restored objects are judged, and what a replica check calls missing or stale."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from drctl.aws.s3 import ObjectVersion
from drctl.drill.measure import drill_measurement
from drctl.drill.resources import DrillState
from drctl.drill.s3_versions import Restored, check_replica, check_versions, sha256, versions_as_of
from drctl.drill.spec import DrillSpec
from drctl.playbook.loader import load_playbook
from tests.unit.helpers import T0
from tests.unit.report_journal import PLAYBOOK


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
    source = [v("old", "o1", -130), v("old", "o2", -120, latest=True),
              v("gone", "g1", -100, latest=True), v("new", "n1", -5, latest=True)]
    replica = [v("old", "o1", -130, latest=True)]

    result = check_replica(source, replica, T0, allowed_lag=30)

    assert result.stale == ["old"] and result.missing == ["gone"] and result.in_flight == 1
    assert result.complete_until == T0 - timedelta(seconds=120)
    assert not result.passed


def canary(seconds: range, latest: int) -> list[ObjectVersion]:
    """An object overwritten every second, as the sandbox app's canary is."""
    return [v("canary", f"c{s}", s, latest=s == latest) for s in seconds]


def test_a_replica_behind_a_busy_key_is_complete_until_its_oldest_unreplicated_write() -> None:
    # The replica, read at T0, had the writes up to T0-5, but never got c-30 (superseded
    # before the replica's newest: not what it serves, not counted). The source, read after
    # it, has writes up to T0+2: those after T0 could not have been in the replica read.
    photo = v("photo", "p1", -600, latest=True)
    source = [photo, *canary(range(-40, 3), latest=2)]
    replica = [photo, *(x for x in canary(range(-40, -4), latest=-5) if x.version_id != "c-30")]

    result = check_replica(source, replica, T0, allowed_lag=15)

    assert result.passed and result.checked == 1 and result.in_flight == 1  # canary: newer
    assert result.complete_until == T0 - timedelta(seconds=4) and result.read_at == T0


def test_each_key_of_a_replica_is_judged_against_when_its_page_was_read() -> None:
    # A slow listing: key a's page arrived at T0, key b's at T0+20 (writes went on meanwhile).
    # Each was 5 s behind when read; against the listing's end, a would look 24 s behind.
    def writes(key: str, upto: int, page: float | None = None) -> list[ObjectVersion]:
        at = T0 + timedelta(seconds=page) if page is not None else None
        return [replace(v(key, f"{key}{s}", s, latest=s == upto), listed_at=at)
                for s in range(-30, upto + 1)]

    replica = writes("a", -5, page=0) + writes("b", 15, page=20)
    source = writes("a", 25) + writes("b", 25)

    result = check_replica(source, replica, T0 + timedelta(seconds=20), allowed_lag=60)

    assert result.complete_until == T0 + timedelta(seconds=16)
    assert result.read_at == T0 + timedelta(seconds=20)


def test_a_replica_holding_every_write_is_complete_and_deletes_count_as_writes() -> None:
    replica = canary(range(-20, -9), latest=-10)
    deleted = [*replica[:-1], v("canary", "c-10", -10), v("canary", "dm", -3, True, True)]

    assert check_replica(replica, replica, T0, 5).complete_until is None
    assert check_replica(deleted, replica, T0, 5).complete_until == T0 - timedelta(seconds=3)


def test_a_replica_drill_measures_its_rpo_when_it_read_the_replica_not_at_the_drill_start() -> None:
    # The drill started at T0, read the replica 6 s later; it lacked the writes from T0+1.
    target = next(t for t in load_playbook(PLAYBOOK).drills.targets  # type: ignore[union-attr]
                  if t.target == "s3:roadtrip-media-us-east-1")
    spec = DrillSpec(target, "replica", None, 0.0, 3600.0, 900.0, "roadtrip")
    state = DrillState(started_at=T0, restore_point=T0 + timedelta(seconds=1),
                       rpo_measured_at=T0 + timedelta(seconds=6))
    journaled = DrillState.from_facts(json.loads(json.dumps(state.to_facts())))

    assert drill_measurement(spec, journaled).to_dict()["rpo_seconds"] == 5.0
