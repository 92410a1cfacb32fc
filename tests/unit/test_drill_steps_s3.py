"""An S3 drill's steps and run_drill, in process on the fake `Aws`: a versions drill restores a
prefix as of T into a tagged scratch bucket and checks every object; a replica drill checks the
replica holds every object older than the allowed lag. Cleanup whatever happened; figures
recomputed from the journal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drctl.aws.fake import FakeEstate
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput, StepFailed
from drctl.core.run import RunStatus
from drctl.drill.preflight import preflight
from drctl.drill.resources import RUN_TAG
from drctl.drill.runner import DrillInterrupted
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.drill_run import deps_for, drill, spec_for
from tests.unit.fake_estate import EAST, MEDIA, MEDIA_REPLICA
from tests.unit.helpers import T0

TARGET = f"s3:{MEDIA}"
BEFORE = {MEDIA, MEDIA_REPLICA}


@pytest.fixture
def estate() -> FakeEstate:
    found = FakeEstate()
    fake_estate.media(found.buckets, T0)
    return found


def test_a_versions_drill_restores_each_keys_version_as_of_now_and_cleans_up(
        tmp_path: Path, estate: FakeEstate) -> None:
    done = drill(tmp_path, estate, TARGET, "versions")

    assert done.error is None and done.run.status is RunStatus.SUCCEEDED
    assert [s.name for s in done.run.steps] == ["restore", "validate", "check_targets",
                                               "cleanup"]
    f = done.figures
    # b.jpg was deleted before now: not restored. a.jpg as rewritten, c.jpg just written.
    assert done.run.step("restore").output["objects"] == 2
    assert f.validation is not None and f.validation["passed"]
    assert f.validation["restored_objects"] == f.validation["matching_objects"] == 2
    assert f.effective_restore_point is not None
    assert f.recovery.rpo is not None and f.recovery.rpo.seconds == 0.0
    [scratch] = f.restored
    assert scratch["type"] == "s3-bucket" and scratch["region"] == EAST
    assert f.cleanup is not None and f.cleanup["deleted"] == [scratch]
    assert set(estate.buckets.buckets) == BEFORE
    assert done.recomputed() == f


def test_a_versions_drill_as_of_an_earlier_time_takes_the_versions_of_then(
        tmp_path: Path, estate: FakeEstate) -> None:
    restored: dict[str, bytes] = {}

    def look() -> None:  # the scratch bucket just before validation reads it
        scratch = next(b for n, b in estate.buckets.buckets.items() if n not in BEFORE)
        restored.update({v.key: v.body or b"" for v in scratch.versions})

    estate.after("s3.copy_version", look)
    done = drill(tmp_path, estate, TARGET, "versions", at=T0 - timedelta(minutes=90))

    assert restored == {"photos/a.jpg": b"a-first", "photos/b.jpg": b"b"}
    f = done.figures
    assert f.validation is not None and f.validation["passed"]
    assert f.restore_point == T0 - timedelta(minutes=90)
    assert f.recovery.rpo is not None and f.recovery.rpo.seconds == 5400.0
    assert set(estate.buckets.buckets) == BEFORE


def test_a_copy_that_is_not_the_version_chosen_fails_validation(
        tmp_path: Path, estate: FakeEstate) -> None:
    def corrupt() -> None:
        scratch = next(b for n, b in estate.buckets.buckets.items() if n not in BEFORE)
        scratch.versions[-1].body = b"not what was copied"

    estate.after("s3.copy_version", corrupt)
    done = drill(tmp_path, estate, TARGET, "versions")

    assert isinstance(done.error, StepFailed) and "validation failed" in str(done.error)
    f = done.figures
    assert f.validation is not None and f.validation["differing"]
    assert f.recovery.rto_seconds is None
    assert f.cleanup is not None and f.cleanup["status"] == "done"
    assert set(estate.buckets.buckets) == BEFORE


def test_a_stop_right_after_the_scratch_bucket_is_made_cleans_it_up(
        tmp_path: Path, estate: FakeEstate) -> None:
    engine = Engine(MemoryStore(), FakeClock(T0))
    tags: list[dict[str, str]] = []

    def stop() -> None:
        engine.interrupt.request_stop("SIGTERM")

    def tagged() -> None:
        scratch = next(b for n, b in estate.buckets.buckets.items() if n not in BEFORE)
        tags.append(dict(scratch.tags))

    estate.after("s3.create_bucket", stop)
    estate.after("s3.tag_bucket", tagged)
    done = drill(tmp_path, estate, TARGET, "versions", engine=engine)

    assert isinstance(done.error, DrillInterrupted) and done.error.exit_code == 3
    # The create and its tagging are one shielded call: the bucket was tagged before the stop.
    assert tags and tags[0][RUN_TAG] == done.run.run_id
    assert "s3.copy_version" not in estate.calls
    assert set(estate.buckets.buckets) == BEFORE


def test_a_replica_drill_passes_with_a_write_in_flight_and_measures_how_far_behind(
        tmp_path: Path, estate: FakeEstate) -> None:
    done = drill(tmp_path, estate, TARGET, "replica")

    assert done.error is None, done.error
    f = done.figures
    assert f.validation is not None and f.validation["passed"]
    # a.jpg is judged (older than the 15 s allowed); c.jpg, written 5 s ago, is in flight.
    assert (f.validation["checked"], f.validation["in_flight"]) == (1, 1)
    # The replica lacks c.jpg, written 5 s before it was read: that is the RPO.
    assert f.restore_point == T0 - timedelta(seconds=5)
    assert f.recovery.rpo is not None and f.recovery.rpo.seconds == 5.0
    assert f.restored == [] and set(estate.buckets.buckets) == BEFORE
    assert done.recomputed() == f


def test_a_replica_missing_an_old_object_fails_the_drill(tmp_path: Path,
                                                        estate: FakeEstate) -> None:
    replica = estate.buckets.buckets[MEDIA_REPLICA]
    replica.versions = [v for v in replica.versions if v.key != "photos/a.jpg"]

    done = drill(tmp_path, estate, TARGET, "replica")

    assert isinstance(done.error, StepFailed) and "replica check failed" in str(done.error)
    f = done.figures
    assert f.validation is not None and f.validation["missing"] == ["photos/a.jpg"]
    assert f.recovery.rpo is not None and f.recovery.rpo.seconds == 3 * 3600.0


@pytest.mark.parametrize(("kind", "break_it", "match"), [
    ("versions", lambda b: setattr(b[MEDIA], "versioning", "Suspended"), "versioning"),
    ("replica", lambda b: setattr(b[MEDIA], "replication", None), "replicat"),
])
def test_a_bucket_that_cannot_be_drilled_is_refused_before_anything_is_made(
        tmp_path: Path, estate: FakeEstate, kind: str, break_it, match: str) -> None:
    break_it(estate.buckets.buckets)
    with pytest.raises(InvalidInput, match=match):
        preflight(spec_for(tmp_path, TARGET, kind), deps_for(estate, FakeClock(T0)))
    assert estate.calls == [] and set(estate.buckets.buckets) == BEFORE
