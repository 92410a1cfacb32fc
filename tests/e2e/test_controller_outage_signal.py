"""The controller's outage signal when a region's alarms cannot be read: the region's
CloudWatch API is down with it, and its Route53 health checks fail -- together they open the
failover (drctl/controller/detect.py). First the two sandbox faults that play it, each stated
as AWS behaves: a health check reports what its endpoint answers (moto's always pass; fixed in
drctl/sandbox/fidelity_route53.py), and one service of one region can be made unavailable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from drctl.aws.clients import ClientFactory
from drctl.controller.detect import BLIND
from drctl.core.clock import parse_iso
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import Cli
from tests.e2e.test_controller_failover import controller_playbook, waiting_then_stopped

pytestmark = pytest.mark.e2e
EAST, WEST = "us-east-1", "us-west-2"


def checks(aws: ClientFactory, region: str) -> list[str]:
    """The sandbox's health checks of `region`'s app (tagged roadtrip-api-REGION)."""
    route53 = aws.client("route53", EAST)
    found = []
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck",
                                              ResourceId=check["Id"])["ResourceTagSet"]["Tags"]
        if {"Key": "Name", "Value": f"roadtrip-api-{region}"} in tags:
            found.append(check["Id"])
    return found


def statuses(aws: ClientFactory, check_id: str) -> list[str]:
    observations = aws.client("route53", EAST).get_health_check_status(
        HealthCheckId=check_id)["HealthCheckObservations"]
    return [o["StatusReport"]["Status"] for o in observations]


@pytest.fixture
def dark(sandbox: SandboxInfo) -> Iterator[None]:
    """us-east-1 down, and its CloudWatch API with it; both undone after the test."""
    manager.outage(sandbox.state_dir, EAST)
    manager.set_faults(sandbox.state_dir, unavailable=[f"monitoring@{EAST}"])
    try:
        yield
    finally:
        manager.clear_faults(sandbox.state_dir)
        manager.restore(sandbox.state_dir, EAST)


def test_health_checks_report_the_outage_and_one_regions_cloudwatch_can_be_down(
        sandbox: SandboxInfo, aws: ClientFactory) -> None:
    (east,), (west,) = checks(aws, EAST), checks(aws, WEST)
    # AWS: each checker reports what the endpoint answered -- success while it serves ...
    assert all(s.startswith("Success") for s in statuses(aws, east))
    manager.outage(sandbox.state_dir, EAST)
    manager.set_faults(sandbox.state_dir, unavailable=[f"monitoring@{EAST}"])
    try:
        # ... failure while it does not (moto said Success whatever happened).
        assert all(s.startswith("Failure") for s in statuses(aws, east))
        assert all(s.startswith("Success") for s in statuses(aws, west))
        # A regional API outage: every call of that service there is a 503, elsewhere none.
        with pytest.raises(ClientError) as refused:
            aws.client("cloudwatch", EAST).describe_alarms()
        assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert aws.client("cloudwatch", WEST).describe_alarms()["MetricAlarms"]
        injected = manager.ground_truth(sandbox.state_dir)["faults"]["injected"]
        assert injected["unavailable"] >= 1
    finally:
        manager.clear_faults(sandbox.state_dir)
        manager.restore(sandbox.state_dir, EAST)
    assert all(s.startswith("Success") for s in statuses(aws, east))
    aws.client("cloudwatch", EAST).describe_alarms()


def polling_playbook(tmp_path: Path) -> Path:
    """roadtrip.yaml polling every 2 s, no alarm topic (a dark region sends no alarm events),
    and a failover due after 2 s of the signal, waiting for approval."""
    return controller_playbook(tmp_path / "dark.yaml", poll="2s",
                               detection="  failover: {when: any, for: 2s}\n")


def test_a_region_gone_dark_opens_the_failover_from_its_failing_health_checks(
        sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path, dark: None) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    controller = cli.spawn("controller", "--playbook", str(polling_playbook(tmp_path)))
    run, stderr = waiting_then_stopped(cli, controller, 120)
    detection = run.params["detection"]
    assert detection["signal"] == BLIND and detection["alarms"] == []
    assert detection["region"] == EAST and run.params["target_region"] == WEST
    assert detection["failing_health_checks"] == checks(aws, EAST)
    assert '"event": "alarm_watch_cannot_read"' in stderr
    # The controller's own part of the latency: a poll reads with clients that try twice.
    # With nine adaptive attempts on the dark region's CloudWatch it was 31.7 s (load 45).
    assert detection["decision_seconds"] < 15, detection
    # The RTO runs from when the signal began, and says who saw it (it said "operator").
    facts = run.step("detect").output
    assert facts["incident_start_source"] == f"controller: {BLIND}", facts
    began = parse_iso(detection["alarm_transition_at"])
    assert parse_iso(facts["incident_start"]) == began, (facts, detection)
