"""Secrets stay secret, and `drctl iam-policy` grants every call a failover makes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from drctl.sandbox import manager
from tests.e2e.helpers import Cli

SECRET = "T0KEN-d0-not-l0g-me-8c1f"


class _Hook(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        _Hook.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received.clear()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/{SECRET}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_webhook_secret_never_logged_and_policy_covers_every_call(
    make_sandbox, use_sandbox, tmp_path: Path, webhook: str
) -> None:
    sandbox = make_sandbox(lag=2.0)
    use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")

    result = cli("-vv", "--log-json", "failover", "--region", "us-west-2", "--yes", "--json",
                 env={"DRCTL_WEBHOOK_URL": webhook})
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)

    # The webhook was called, and its URL appears nowhere: output, logs, journal.
    assert any(run["run_id"].encode() in body for body in _Hook.received)
    assert SECRET not in result.stdout + result.stderr
    journal = (tmp_path / "state" / "journal.db").read_bytes()
    assert SECRET.encode() not in journal
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path

    # Every AWS call the failover made is granted by the policy drctl prints.
    decoder = json.JSONDecoder()
    calls = {decoder.raw_decode(line[line.index("{"):])[0]["action"]
             for line in result.stderr.splitlines() if '"aws_call"' in line}
    assert {"route53:ChangeResourceRecordSets", "ecs:UpdateService",
            "rds:PromoteReadReplica", "sns:Publish",
            # the S3 recovery point and the app's dependencies in the target region
            "s3:GetObject", "secretsmanager:DescribeSecret", "ssm:GetParameter",
            "ecs:DescribeTaskDefinition", "ecr:DescribeImages"} <= calls
    policy = json.loads(cli("iam-policy").stdout)
    granted = {action for s in policy["Statement"] for action in s["Action"]}
    assert not {c for c in calls if not any(fnmatch(c, g) for g in granted)}, calls
    mutating = {s["Sid"]: s["Resource"] for s in policy["Statement"]}
    assert mutating["ScaleEcs"] == [
        f"arn:aws:ecs:{r}:*:service/roadtrip/{svc}" for r in ("us-east-1", "us-west-2")
        for svc in ("api", "voice", "poi-sync")]
