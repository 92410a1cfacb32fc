"""RPO sources with in-memory adapters: what counts as a reading, and what is refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from drctl.core.errors import AwsError
from drctl.failover.rpo import read_rpo
from drctl.playbook.schema import HeartbeatSource, MetricSource, RpoSource
from tests.unit.helpers import T0

HEARTBEAT = RpoSource(heartbeat=HeartbeatSource(table="hb", key={"writer": "{failed_region}"}))
LAG = RpoSource(cloudwatch=MetricSource(namespace="AWS/RDS", metric="ReplicaLag"))


class FakeTable:
    def __init__(self, items: dict[str, Any] | Exception) -> None:
        self.items = items

    def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(self.items, Exception):
            raise self.items
        return self.items.get(key["writer"])


class FakeMetrics:
    def __init__(self, point: tuple[float, Any] | None) -> None:
        self.point = point

    def latest_datapoint(self, *args: Any) -> tuple[float, Any] | None:
        return self.point


class FakeAws:
    def __init__(self, tables: dict[str, FakeTable], metric: FakeMetrics | None = None) -> None:
        self.tables, self.metric = tables, metric or FakeMetrics(None)

    def dynamodb(self, region: str) -> FakeTable:
        return self.tables[region]

    def cloudwatch(self, region: str) -> FakeMetrics:
        return self.metric


def stamp(seconds_after_t0: float, unit: str = "s") -> Decimal:
    epoch = T0.timestamp() + seconds_after_t0
    return Decimal(str(epoch * 1000 if unit == "ms" else epoch))


def read(aws: FakeAws, sources: list[RpoSource] | None = None):  # type: ignore[no-untyped-def]
    now = T0 + timedelta(minutes=2)
    return read_rpo(sources or [HEARTBEAT, LAG], aws, "east", "west", T0, now)  # type: ignore[arg-type]


def test_heartbeat_rpo_is_newest_write_minus_newest_copy() -> None:
    aws = FakeAws({"east": FakeTable({"east": {"written_at": stamp(-1)}}),
                   "west": FakeTable({"east": {"written_at": stamp(-21)}})})
    reading, notes = read(aws)
    assert reading is not None and reading.seconds == 20.0
    assert reading.source == "heartbeat:hb" and notes == []


def test_millisecond_stamps_are_read_as_milliseconds() -> None:
    aws = FakeAws({"east": FakeTable({"east": {"written_at": stamp(-1, "ms")}}),
                   "west": FakeTable({"east": {"written_at": stamp(-4.5, "ms")}})})
    reading, _ = read(aws)
    assert reading is not None and reading.seconds == 3.5


def test_an_unreadable_failed_region_uses_the_incident_start() -> None:
    aws = FakeAws({"east": FakeTable(AwsError("region down")),
                   "west": FakeTable({"east": {"written_at": stamp(-7)}})})
    reading, _ = read(aws)
    assert reading is not None and reading.seconds == 7.0
    assert reading.reference == "incident start (failed region unreadable)"


def test_a_malformed_heartbeat_falls_through_to_the_next_source_with_a_note() -> None:
    aws = FakeAws({"east": FakeTable({"east": {"written_at": "yesterday"}}),
                   "west": FakeTable({"east": {"written_at": "not a time"}})},
                  FakeMetrics((4.0, T0 - timedelta(seconds=30))))
    reading, notes = read(aws)
    assert reading is not None and reading.source == "cloudwatch:AWS/RDS/ReplicaLag"
    assert reading.seconds == 4.0 and notes and "unreadable heartbeat" in notes[0]


def test_a_negative_replica_lag_is_not_a_reading() -> None:
    aws = FakeAws({"east": FakeTable({}), "west": FakeTable({})},
                  FakeMetrics((-1.0, T0 + timedelta(seconds=30))))
    reading, notes = read(aws)
    assert reading is None
    assert any("replication was not active" in n for n in notes)


def test_a_lag_datapoint_from_well_before_the_incident_is_not_a_reading() -> None:
    aws = FakeAws({"east": FakeTable({}), "west": FakeTable({})},
                  FakeMetrics((3.0, T0 - timedelta(minutes=14))))
    reading, notes = read(aws, [LAG])
    assert reading is None and "older than the incident" in notes[0]
