"""RTO/RPO arithmetic and met/missed (drctl/core/measurement.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drctl.core.measurement import Measurement, RpoReading, measure_recovery
from tests.unit.helpers import T0

RTO_TARGET = 3600.0
RPO_TARGET = 900.0


def measure(
    rto: float | None = 1800.0, rpo: float | None = 60.0, *, started: bool = True
) -> Measurement:
    recovered = None if rto is None else T0 + timedelta(seconds=rto)
    reading = None if rpo is None else RpoReading(rpo, "heartbeat:roadtrip-heartbeats")
    return measure_recovery(T0 if started else None, "alarm:roadtrip-api-5xx-us-east-1",
                            recovered, reading, RTO_TARGET, RPO_TARGET)


def test_rto_is_recovery_minus_incident_start() -> None:
    m = measure_recovery(T0, "alarm", T0 + timedelta(minutes=42, seconds=7.25), None,
                         RTO_TARGET, RPO_TARGET)

    assert m.rto_seconds == 2527.25


def test_rto_is_rounded_to_milliseconds() -> None:
    m = measure_recovery(T0, "alarm", T0 + timedelta(microseconds=1_234_567), None,
                         RTO_TARGET, RPO_TARGET)

    assert m.rto_seconds == 1.235


def test_recovery_before_the_recorded_start_gives_no_rto_rather_than_a_false_one() -> None:
    result = measure(rto=-30)
    assert result.rto_seconds is None and result.rto_met is False


@pytest.mark.parametrize(
    ("rto", "met"), [(0, True), (3599.999, True), (3600, True), (3600.001, False), (7200, False)]
)
def test_rto_met_at_and_below_the_target(rto: float, met: bool) -> None:
    assert measure(rto=rto).rto_met is met


@pytest.mark.parametrize(
    ("rpo", "met"), [(0, True), (899.5, True), (900, True), (900.5, False)]
)
def test_rpo_met_at_and_below_the_target(rpo: float, met: bool) -> None:
    assert measure(rpo=rpo).rpo_met is met


def test_rto_is_none_and_missed_without_a_recovery() -> None:
    m = measure(rto=None)

    assert m.rto_seconds is None
    assert m.rto_met is False


def test_rto_is_none_and_missed_without_an_incident_start() -> None:
    m = measure(started=False)

    assert m.rto_seconds is None
    assert m.rto_met is False


def test_rpo_is_missed_when_it_could_not_be_read() -> None:
    assert measure(rpo=None).rpo_met is False


def test_to_dict_carries_figures_sources_targets_and_verdicts() -> None:
    reading = RpoReading(12.5, "heartbeat:roadtrip-heartbeats",
                         newest_replicated_at="2026-01-01T11:59:47.500Z",
                         newest_write_at="2026-01-01T12:00:00.000Z", reference="heartbeat")
    m = measure_recovery(T0, "alarm:roadtrip-api-5xx-us-east-1", T0 + timedelta(hours=2),
                         reading, RTO_TARGET, RPO_TARGET)

    assert m.to_dict() == {
        "incident_start": "2026-01-01T12:00:00.000Z",
        "incident_start_source": "alarm:roadtrip-api-5xx-us-east-1",
        "recovered_at": "2026-01-01T14:00:00.000Z",
        "rto_seconds": 7200.0,
        "rto_target_seconds": 3600.0,
        "rto_met": False,
        "rto_lower_bound": False,
        "rpo_seconds": 12.5,
        "rpo_source": "heartbeat:roadtrip-heartbeats",
        "rpo_detail": {
            "seconds": 12.5, "source": "heartbeat:roadtrip-heartbeats",
            "newest_replicated_at": "2026-01-01T11:59:47.500Z",
            "newest_write_at": "2026-01-01T12:00:00.000Z", "reference": "heartbeat", "store": None,
        },
        "rpo_target_seconds": 900.0,
        "rpo_met": True,
    }


def test_to_dict_of_an_unmeasured_recovery() -> None:
    data = measure_recovery(None, None, None, None, RTO_TARGET, RPO_TARGET).to_dict()

    assert data["incident_start"] is None
    assert data["recovered_at"] is None
    assert data["rto_seconds"] is None
    assert data["rto_met"] is None  # unmeasured is not missed (issue 8 item 5)
    assert data["rpo_seconds"] is None
    assert data["rpo_source"] is None
    assert data["rpo_detail"] is None
    assert data["rpo_met"] is None
    assert data["rto_target_seconds"] == 3600.0
    assert data["rpo_target_seconds"] == 900.0


def test_rpo_reading_round_trips_through_a_dict() -> None:
    reading = RpoReading(3.0, "cloudwatch:AWS/RDS/ReplicaLag", reference="incident start")

    assert RpoReading.from_dict(reading.to_dict()) == reading
