"""The sandbox's cut at a switch of the active region: delivery into the new active region stops
then, what was in flight is lost, and the cut's ground truth says exactly what was lost."""

from __future__ import annotations

from typing import Any

import pytest

from drctl.sandbox.conditions import Conditions
from drctl.sandbox.estate import HEARTBEATS_TABLE
from drctl.sandbox.replicator import Replicator

EAST, WEST = "us-east-1", "us-west-2"


class Tables:
    """Just enough of a DynamoDB client for the replicator: scan and put_item."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def scan(self, TableName: str, **_: Any) -> dict[str, Any]:
        return {"Items": [i for (t, _k), i in self.items.items() if t == TableName]}

    def put_item(self, TableName: str, Item: dict[str, Any]) -> None:
        self.items[(TableName, Item["writer"]["S"])] = Item

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        for table, requests in RequestItems.items():
            keys = [r["PutRequest"]["Item"]["writer"]["S"] for r in requests]
            assert len(keys) == len(set(keys)) <= 25  # as DynamoDB refuses otherwise
            for request in requests:
                self.put_item(table, request["PutRequest"]["Item"])
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def beat(writer: str, at: float) -> dict[str, Any]:
    return {"writer": {"S": writer}, "written_at": {"N": f"{at:.3f}"}}


def setup(lag: float) -> tuple[Conditions, Replicator, Tables, Clock]:
    clock = Clock()
    conditions = Conditions((EAST, WEST), lag, clock=clock)
    target = Tables()
    replicator = Replicator(Tables(), target, conditions, (EAST, WEST), clock=clock)
    return conditions, replicator, target, clock


def arrived(target: Tables) -> float:
    return float(target.items[(HEARTBEATS_TABLE, EAST)]["written_at"]["N"])


def test_a_switch_cuts_delivery_and_records_what_was_lost() -> None:
    conditions, replicator, target, clock = setup(lag=3.0)
    for second in range(11):  # a beat a second from t=1000 to t=1010
        clock.now = 1000.0 + second
        replicator.enqueue(HEARTBEATS_TABLE, beat(EAST, clock.now))
        replicator.apply_due()
    assert arrived(target) == 1007.0

    clock.now = 1010.4
    assert conditions.set_active(WEST)
    clock.now = 1030.0
    replicator.apply_due()  # long after: nothing in flight crosses a cut

    assert arrived(target) == 1007.0
    cut = conditions.last_cut
    assert cut is not None
    assert cut.as_dict() == {
        "from": EAST, "to": WEST, "at": "1970-01-01T00:16:50.400Z",
        "newest_write_at": "1970-01-01T00:16:50.000Z",
        "newest_arrived_at": "1970-01-01T00:16:47.000Z", "lost_seconds": 3.0}


def test_beats_of_another_writer_do_not_count_as_the_source_region() -> None:
    conditions, replicator, _, clock = setup(lag=0.0)
    replicator.enqueue(HEARTBEATS_TABLE, beat(WEST, clock.now))  # came from the other side
    replicator.apply_due()
    conditions.set_active(WEST)

    cut = conditions.last_cut
    assert cut is not None and cut.newest_write_epoch is None and cut.lost_seconds is None


def test_a_switch_back_to_the_same_region_is_no_cut() -> None:
    conditions, _, _, _ = setup(lag=1.0)

    assert not conditions.set_active(EAST)
    assert conditions.last_cut is None


class CountedTables(Tables):
    def __init__(self) -> None:
        super().__init__()
        self.scans: list[str] = []

    def scan(self, TableName: str, **kwargs: Any) -> dict[str, Any]:
        self.scans.append(TableName)
        return super().scan(TableName, **kwargs)


def test_a_source_table_is_read_again_only_when_its_version_changed() -> None:
    clock = Clock()
    conditions = Conditions((EAST, WEST), 0.0, clock=clock)
    source, target = CountedTables(), Tables()
    versions = {HEARTBEATS_TABLE: 1}  # the other replicated table has no token: always read
    replicator = Replicator(source, target, conditions, (EAST, WEST), clock=clock,
                            version=versions.get)
    source.put_item(HEARTBEATS_TABLE, beat(EAST, 999.0))
    replicator._poll()
    replicator._poll()
    assert source.scans.count(HEARTBEATS_TABLE) == 1   # unchanged: not read again
    source.put_item(HEARTBEATS_TABLE, beat(EAST, 1000.0))
    versions[HEARTBEATS_TABLE] = 2
    replicator._poll()
    assert source.scans.count(HEARTBEATS_TABLE) == 2
    replicator.apply_due()
    assert arrived(target) == 1000.0                   # the change was replicated
    assert len(source.scans) - source.scans.count(HEARTBEATS_TABLE) == 3


def test_due_versions_of_one_item_are_written_once_newest_last() -> None:
    """Beats pile up behind the lag (one a second, 3 s late): one BatchWriteItem may not name
    a key twice, and only the newest due version matters; the delivered point is the newest."""
    _, replicator, target, clock = setup(lag=3.0)
    for second in range(10):
        replicator.enqueue(HEARTBEATS_TABLE, beat(EAST, 1000.0 + second))
        replicator.enqueue(HEARTBEATS_TABLE, beat(WEST, 1000.0 + second))
    clock.now = 1006.5
    replicator.apply_due()
    assert arrived(target) == 1003.0
    assert float(target.items[(HEARTBEATS_TABLE, WEST)]["written_at"]["N"]) == 1003.0
    assert replicator._newest_delivered == 1003.0


def test_a_read_that_fails_is_done_again_at_the_next_poll() -> None:
    """The version token was kept before the read: a read that failed halfway (a sandbox
    hiccup) left the table's changes unreplicated until its next write."""
    clock = Clock()
    conditions = Conditions((EAST, WEST), 0.0, clock=clock)
    source, target = CountedTables(), Tables()
    replicator = Replicator(source, target, conditions, (EAST, WEST), clock=clock,
                            version=lambda table: 1)
    source.put_item(HEARTBEATS_TABLE, beat(EAST, 1000.0))
    failing = source.scan
    source.scan = lambda TableName, **kw: (_ for _ in ()).throw(OSError("hiccup"))  # type: ignore
    with pytest.raises(OSError):
        replicator._poll()
    source.scan = failing  # type: ignore[method-assign]
    replicator._poll()
    replicator.apply_due()
    assert arrived(target) == 1000.0
