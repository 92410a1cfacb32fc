"""Running the real CLI, as a user would, against a sandbox; reading the estate back with boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "roadtrip.yaml"


def playbook_copy(tmp_path: Path, text: str, name: str = "playbook.yaml") -> Path:
    """`text` as a playbook in tmp_path/playbooks, beside a link to the repository's
    experiments/: its schedules name them relative to the playbook's file, and `drctl validate`
    checks that they exist."""
    experiments = tmp_path / "experiments"
    if not experiments.exists():
        experiments.symlink_to(ROOT / "experiments")
    path = tmp_path / "playbooks" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@dataclass
class Cli:
    """`drctl` in a subprocess with the sandbox's environment and its own journal directory."""

    sandbox: SandboxInfo
    state_dir: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))}
        env.update(manager.env_exports(self.sandbox))
        env["DRCTL_STATE_DIR"] = str(self.state_dir)
        return env

    def __call__(
        self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "drctl", *args], env={**self.env(), **(env or {})},
            cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        )

    def spawn(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "drctl", *args], env={**self.env(), **(env or {})}, cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def estate_snapshot(aws: ClientFactory) -> dict[str, Any]:
    """What a failover may change, read independently with plain boto3 calls."""
    r53 = aws.client("route53", "us-east-1")
    zones = r53.list_hosted_zones()["HostedZones"]
    zone = next(z for z in zones if z["Name"] == "roadcopilot.com.")
    weights = {
        rr["SetIdentifier"]: rr["Weight"]
        for rr in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        if rr["Name"] == "api.roadcopilot.com." and "Weight" in rr
    }
    snapshot: dict[str, Any] = {"weights": weights}
    for region in ("us-east-1", "us-west-2"):
        services = aws.client("ecs", region).describe_services(
            cluster="roadtrip", services=["api", "voice", "poi-sync"])["services"]
        snapshot[f"ecs:{region}"] = {s["serviceName"]: s["desiredCount"] for s in services}
        group = aws.client("autoscaling", region).describe_auto_scaling_groups(
            AutoScalingGroupNames=["roadtrip-workers"])["AutoScalingGroups"][0]
        snapshot[f"asg:{region}"] = group["DesiredCapacity"]
    replica = aws.client("rds", "us-west-2").describe_db_instances(
        DBInstanceIdentifier="roadtrip-db-replica")["DBInstances"][0]
    snapshot["replica_source"] = replica.get("ReadReplicaSourceDBInstanceIdentifier")
    return snapshot


def inbox_messages(aws: ClientFactory, region: str) -> list[str]:
    """Bodies of every message in the region's notification inbox queue (drained)."""
    sqs = aws.client("sqs", region)
    url = sqs.get_queue_url(QueueName="drctl-notifications-inbox")["QueueUrl"]
    bodies: list[str] = []
    for _ in range(5):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in got.get("Messages", []):
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not got.get("Messages"):
            break
    return bodies


def assert_store_rpos(run: dict[str, Any], lag: float,
                      at_lag: tuple[str, ...] = ("database", "media")) -> None:
    """The data stores `at_lag` (heartbeat table, media bucket) measured within 2 s of the
    injected lag, and the run's RPO is the worse store's, with that store's source."""
    stores = {s["store"]: s for s in run["rpo_stores"]}
    assert set(stores) == {"database", "media"}, run["rpo_stores"]
    assert stores["database"]["rpo_source"] == "heartbeat:roadtrip-heartbeats"
    assert stores["media"]["rpo_source"] == f"s3:roadtrip-media-{run['failed_region']}"
    for name in at_lag:
        assert abs(stores[name]["rpo_seconds"] - lag) <= 2.0, stores[name]
    worse = max(stores.values(), key=lambda s: s["rpo_seconds"])
    assert run["rpo_seconds"] == worse["rpo_seconds"]
    assert run["rpo_source"] == worse["rpo_source"]
    assert run["rpo_detail"]["store"] == worse["store"]


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy (returned); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_replicated_heartbeat(aws: ClientFactory, timeout: float,
                                  writer: str = "us-east-1", into: str = "us-west-2") -> None:
    """Block until `into` holds a replicated copy of the heartbeat `writer` writes."""
    ddb = aws.client("dynamodb", into)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = ddb.get_item(TableName="roadtrip-heartbeats", Key={"writer": {"S": writer}},
                            ConsistentRead=True).get("Item")
        if item:
            return
        time.sleep(0.25)
    raise AssertionError(f"no heartbeat of {writer} replicated into {into} after {timeout}s")


@contextmanager
def cpu_hog() -> Iterator[None]:
    """A process spinning on a CPU for the duration: the machine is busy, as CI's may be."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait(timeout=10)
