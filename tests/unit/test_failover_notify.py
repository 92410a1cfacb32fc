"""Step 6, notify (drctl/failover/notify.py): what the message says, and who hears it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.events import Event
from drctl.core.measurement import Measurement, RpoReading, measure_recovery
from drctl.core.operator import ScriptedOperator
from drctl.core.run import Run, RunStatus
from drctl.failover.notify import Notify, failover_notification
from drctl.failover.spec import FailoverDeps, FailoverSpec
from drctl.notify.base import Channel, MemoryChannel
from drctl.playbook.loader import load_playbook
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0, FakeStep

ROADTRIP = Path(__file__).resolve().parents[2] / "playbooks" / "roadtrip.yaml"


@pytest.fixture(scope="module")
def spec() -> FailoverSpec:
    playbook = load_playbook(ROADTRIP, env={})
    return FailoverSpec(playbook, str(ROADTRIP), target_region="us-west-2",
                        failed_region="us-east-1")


def measured(rto: float | None, rpo: float | None) -> Measurement:
    reading = None if rpo is None else RpoReading(rpo, "heartbeat:roadtrip-heartbeats")
    recovered = None if rto is None else T0 + timedelta(seconds=rto)
    return measure_recovery(T0, "alarm:roadtrip-api-5xx-us-east-1", recovered, reading,
                            3600.0, 900.0)


def test_message_names_the_run_and_the_regions(spec: FailoverSpec) -> None:
    note = failover_notification("fo-20260101T120000-abc123", spec, measured(1800, 12))

    assert "fo-20260101T120000-abc123" in note.subject
    assert "us-west-2" in note.subject
    assert note.text.startswith(
        "drctl failover fo-20260101T120000-abc123: traffic for roadtrip moved from us-east-1 "
        "to us-west-2.\n"
    )


def test_message_gives_rto_and_rpo_against_their_targets_when_met(spec: FailoverSpec) -> None:
    note = failover_notification("fo-1", spec, measured(1800, 12))

    assert "RTO 30m00s (target 1h00m00s, met)" in note.text
    assert "RPO 12.0s (target 15m00s, met) from heartbeat:roadtrip-heartbeats" in note.text
    assert "MISSED" not in note.text


def test_message_says_missed_when_targets_are_missed(spec: FailoverSpec) -> None:
    note = failover_notification("fo-1", spec, measured(5400, 1200))

    assert "RTO 1h30m00s (target 1h00m00s, MISSED)" in note.text
    assert "RPO 20m00s (target 15m00s, MISSED)" in note.text


def test_an_unmeasured_rpo_is_not_measured_not_a_guess(spec: FailoverSpec) -> None:
    note = failover_notification("fo-1", spec, measured(1800, None))

    assert note.text.endswith("RPO - (target 15m00s, not measured)")
    assert note.data["rpo_met"] is None  # unmeasured is not missed
    assert "RTO 30m00s (target 1h00m00s, met)" in note.text


def test_notification_data_carries_the_measurement(spec: FailoverSpec) -> None:
    note = failover_notification("fo-1", spec, measured(1800, 12))

    assert note.data["run_id"] == "fo-1"
    assert note.data["target_region"] == "us-west-2"
    assert note.data["failed_region"] == "us-east-1"
    assert note.data["rto_seconds"] == 1800.0
    assert note.data["rto_met"] is True
    assert note.data["rpo_seconds"] == 12.0
    assert note.data["rpo_met"] is True


# --- the step, through the engine ------------------------------------------------------------


def run_notify(spec: FailoverSpec, channels: list[Channel], events: list[Event] | None = None,
               ) -> tuple[Run, list[str]]:
    regions_asked: list[str] = []

    def channels_for(region: str) -> tuple[list[Channel], list[str]]:
        regions_asked.append(region)
        return channels, ["webhook: DRCTL_WEBHOOK_URL is not set"]

    clock = FakeClock(T0)
    deps = FailoverDeps(aws=None, clock=clock, operator=ScriptedOperator(),  # type: ignore[arg-type]
                        channels=channels_for)
    facts = FakeStep("facts", output={
        "incident_start": "2026-01-01T12:00:00.000Z",
        "incident_start_source": "alarm:roadtrip-api-5xx-us-east-1",
        "smoke_passed_at": "2026-01-01T12:10:00.000Z",
        "rpo": {"seconds": 4.0, "source": "heartbeat:roadtrip-heartbeats"},
    })
    engine = Engine(MemoryStore(), clock, [events.append] if events is not None else [])
    run_id = engine.start("failover", {}, run_id="fo-1")
    return engine.execute(run_id, [facts, Notify(spec, deps)]), regions_asked


def test_notify_step_sends_through_the_target_region(spec: FailoverSpec) -> None:
    sns = MemoryChannel("sns:drctl-notifications")

    run, regions = run_notify(spec, [sns])

    assert regions == ["us-west-2"]
    assert len(sns.sent) == 1
    assert "RTO 10m00s (target 1h00m00s, met)" in sns.sent[0].text
    assert "RPO 4.0s (target 15m00s, met)" in sns.sent[0].text
    assert run.step("notify").output == {"notifications": [
        {"channel": "webhook: DRCTL_WEBHOOK_URL is not set", "ok": False, "detail": "skipped"},
        {"channel": "sns:drctl-notifications", "ok": True, "detail": "sns:drctl-notifications#1"},
    ], "delivered": "1 of 2 channels"}


def test_a_failing_channel_does_not_fail_the_failover(spec: FailoverSpec) -> None:
    down = MemoryChannel("webhook", fail=True)
    console = MemoryChannel("console")

    run, _ = run_notify(spec, [down, console])

    assert run.status is RunStatus.SUCCEEDED
    assert len(console.sent) == 1
    results = run.step("notify").output["notifications"]
    assert {"channel": "webhook", "ok": False, "detail": "webhook is down"} in results
    assert {"channel": "console", "ok": True, "detail": "console#1"} in results


def test_a_skipped_or_failed_channel_is_shown_with_why_and_counted(spec: FailoverSpec) -> None:
    """On screen (step progress), not only in `runs show --json`: never a silent tick."""
    down = MemoryChannel("sns:drctl-notifications", fail=True)
    console = MemoryChannel("console")

    events: list[Event] = []
    run, _ = run_notify(spec, [down, console], events)

    shown = [e.data["message"] for e in events if e.type == "step_progress"]
    assert "webhook: DRCTL_WEBHOOK_URL is not set" in shown
    assert "sns:drctl-notifications: failed (sns:drctl-notifications is down)" in shown
    assert shown[-1] == "notified 1 of 3 channels"
    assert run.step("notify").output["delivered"] == "1 of 3 channels"
