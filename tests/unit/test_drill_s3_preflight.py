"""An S3 versions drill's pre-flight: a prefix that held nothing at T is bad input (exit 2),
refused before a scratch bucket is made -- not a drill that "validated 0 of 0"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from drctl.aws.fake import FakeAws
from drctl.aws.s3 import S3, ObjectVersion
from drctl.core.clock import FakeClock
from drctl.core.errors import InvalidInput
from drctl.drill.preflight import preflight
from drctl.drill.spec import DrillDeps, DrillSpec
from drctl.playbook.loader import load_playbook
from tests.unit.helpers import T0
from tests.unit.report_journal import PLAYBOOK

BUCKET = "roadtrip-media-us-east-1"


class OneBucket(S3):
    """A versioned bucket holding `photos/a.jpg`, written at T0-60 and deleted at T0-10."""

    def __init__(self) -> None:
        super().__init__(None, "us-east-1")

    def versioning(self, bucket: str) -> str:
        return "Enabled"

    def versions(self, bucket: str, prefix: str = "",
                 clock: Callable[[], datetime] | None = None) -> Iterator[ObjectVersion]:
        held = [ObjectVersion("photos/a.jpg", "v1", T0 - timedelta(seconds=60), False),
                ObjectVersion("photos/a.jpg", "dm", T0 - timedelta(seconds=10), True, True)]
        return iter([v for v in held if v.key.startswith(prefix)])


class WithBucket(FakeAws):
    def s3(self, region: str) -> S3:
        return OneBucket()


def spec(prefix: str, at: datetime | None) -> DrillSpec:
    target = next(t for t in load_playbook(PLAYBOOK).drills.targets  # type: ignore[union-attr]
                  if t.target == f"s3:{BUCKET}")
    return DrillSpec(target, "versions", at, 0.0, 3600.0, 900.0, "roadtrip", prefix=prefix)


@pytest.mark.parametrize(("prefix", "at"), [
    ("fotos/", T0 - timedelta(seconds=30)),       # a typo: nothing was ever there
    ("photos/", T0 - timedelta(seconds=90)),      # before the first write
    ("photos/", None),                            # now: deleted since
])
def test_a_prefix_that_held_nothing_at_t_is_refused_before_anything_is_made(
        prefix: str, at: datetime | None) -> None:
    deps = DrillDeps(WithBucket(), FakeClock(T0), lambda argv, env, timeout: (0, ""))

    with pytest.raises(InvalidInput, match=f"no object existed under s3://{BUCKET}/{prefix} at"):
        preflight(spec(prefix, at), deps)


def test_a_prefix_that_held_an_object_at_t_passes() -> None:
    deps = DrillDeps(WithBucket(), FakeClock(T0), lambda argv, env, timeout: (0, ""))

    point = preflight(spec("photos/", T0 - timedelta(seconds=30)), deps)

    assert point.kind == "versions" and point.at == T0 - timedelta(seconds=30)
