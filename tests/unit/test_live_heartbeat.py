"""`drctl validate`'s heartbeat check (drctl/failover/live_heartbeat.py): each table there, and
the active region's heartbeat fresh in every region — with a fake DynamoDB per region."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from drctl.aws.estate import Aws
from drctl.core.errors import AwsError, ResourceMissing
from drctl.failover.live_heartbeat import heartbeat_problems
from drctl.playbook.loader import load_playbook
from tests.unit.helpers import T0

PLAYBOOK = load_playbook(str(Path(__file__).resolve().parents[2] / "playbooks/roadtrip.yaml"))
LOC = ("rpo", "database", 0, "heartbeat")


class Table:
    def __init__(self, items: dict[str, Any] | Exception) -> None:
        self.items = items

    def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(self.items, Exception):
            raise self.items
        assert table == "roadtrip-heartbeats"
        return cast(dict[str, Any] | None, self.items.get(key["writer"]))


class FakeAws:
    def __init__(self, **regions: Table) -> None:
        self.regions = {name.replace("_", "-"): table for name, table in regions.items()}

    def dynamodb(self, region: str) -> Table:
        return self.regions[region]


def beat(seconds_ago: float) -> dict[str, Any]:
    return {"writer": "us-east-1", "written_at": (T0 - timedelta(seconds=seconds_ago)).isoformat()}


def problems(**regions: Table) -> list[tuple[tuple[Any, ...], str]]:
    found = heartbeat_problems(PLAYBOOK, cast(Aws, FakeAws(**regions)), "us-east-1", T0)
    assert found.not_checked == []  # no region is down
    return [(p.loc, p.message) for p in found.problems]


def test_fresh_heartbeats_in_both_regions_are_fine() -> None:
    assert problems(us_east_1=Table({"us-east-1": beat(1)}),
                    us_west_2=Table({"us-east-1": beat(6)})) == []


def test_a_stale_copy_in_the_other_region_is_replication_not_delivering() -> None:
    [(loc, message)] = problems(us_east_1=Table({"us-east-1": beat(1)}),
                                us_west_2=Table({"us-east-1": beat(3600)}))
    assert loc == (*LOC, "key")
    assert "(us-west-2) is 1h00m00s old, more than the RPO target 15m00s" in message
    assert "being replicated here?" in message


def test_a_missing_table_is_reported_at_the_table_line() -> None:
    gone = ResourceMissing("get item from roadtrip-heartbeats in us-west-2: not found")
    assert problems(us_east_1=Table({"us-east-1": beat(1)}), us_west_2=Table(gone)) == [
        ((*LOC, "table"), "heartbeat table roadtrip-heartbeats not found in us-west-2")]


def test_an_unreadable_region_is_said_not_hidden() -> None:
    [(loc, message)] = problems(us_east_1=Table(AwsError("throttled")),
                                us_west_2=Table({"us-east-1": beat(6)}))
    assert loc == (*LOC, "key") and "could not be read: throttled" in message


def test_without_one_active_region_only_tables_are_checked() -> None:
    aws = cast(Aws, FakeAws(us_east_1=Table({}), us_west_2=Table(ResourceMissing("gone"))))
    found = heartbeat_problems(PLAYBOOK, aws, None, T0)
    assert [p.loc for p in found.problems] == [(*LOC, "table")]


def test_right_after_a_failover_the_region_left_in_outage_is_not_checked_not_wrong() -> None:
    # us-west-2 took the traffic; us-east-1 is down, so its heartbeat never reached it.
    aws = cast(Aws, FakeAws(us_east_1=Table({}),
                            us_west_2=Table({"us-west-2": {"written_at": T0.isoformat()}})))
    found = heartbeat_problems(PLAYBOOK, aws, "us-west-2", T0,
                               down={"us-east-1": "roadtrip-api-5xx-us-east-1 in ALARM"})
    assert found.problems == []
    [unchecked] = found.not_checked
    assert unchecked.loc == (*LOC, "key")
    assert unchecked.message.startswith(
        "not checked while us-east-1 is in outage (roadtrip-api-5xx-us-east-1 in ALARM")
    assert "no heartbeat {'writer': 'us-west-2'} in roadtrip-heartbeats (us-east-1)" \
        in unchecked.message


def test_a_down_writer_makes_its_stale_copies_not_checked_but_a_missing_table_is_wrong() -> None:
    gone = ResourceMissing("get item from roadtrip-heartbeats in us-west-2: not found")
    aws = cast(Aws, FakeAws(us_east_1=Table({"us-east-1": beat(3600)}), us_west_2=Table(gone)))
    found = heartbeat_problems(PLAYBOOK, aws, "us-east-1", T0,
                               down={"us-east-1": "roadtrip-api-5xx-us-east-1 in ALARM"})
    assert [p.loc for p in found.problems] == [(*LOC, "table")]
    assert [p.loc for p in found.not_checked] == [(*LOC, "key")]
