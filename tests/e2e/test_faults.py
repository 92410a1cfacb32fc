"""API faults in front of the embedded AWS: AWS's own errors, and a failover that rides them out."""

from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot
from tests.e2e.test_failover_resume import AFTER_FAILOVER

NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})


def _error(call) -> ClientError:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def test_faults_answer_with_aws_errors_in_each_protocol(sandbox, sandbox_env) -> None:
    raw = ClientFactory(config=NO_RETRIES)
    try:
        manager.set_faults(sandbox.state_dir, error_rate=1.0)
        ddb = _error(lambda: raw.client("dynamodb", "us-east-1").list_tables())  # JSON
        cw = _error(lambda: raw.client("cloudwatch", "us-east-1").describe_alarms())  # CBOR
        rds = _error(lambda: raw.client("rds", "us-east-1").describe_db_instances())  # query
        ec2 = _error(lambda: raw.client("ec2", "us-east-1").describe_vpcs())  # EC2
        for error in (ddb, cw, rds):
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert error.response["Error"]["Code"] == "ServiceUnavailable"
        assert ec2.response["Error"]["Code"] == "Unavailable"

        manager.set_faults(sandbox.state_dir, throttle={"route53": 1.0})
        r53 = raw.client("route53", "us-east-1")
        errors = []
        for _ in range(5):
            try:
                r53.list_hosted_zones()
            except ClientError as exc:
                errors.append(exc)
        assert errors, "5 calls in well under a second were not throttled at 1/s"
        assert {e.response["Error"]["Code"] for e in errors} == {"Throttling"}
        assert {e.response["ResponseMetadata"]["HTTPStatusCode"] for e in errors} == {400}
        # Other services are not throttled.
        raw.client("dynamodb", "us-east-1").list_tables()
    finally:
        manager.clear_faults(sandbox.state_dir)
    assert manager.ground_truth(sandbox.state_dir)["faults"]["error_rate"] == 0


def test_sandbox_machinery_is_exempt_from_faults(sandbox, sandbox_env) -> None:
    ddb = ClientFactory(config=NO_RETRIES).client("dynamodb", "us-east-1")
    manager.set_faults(sandbox.state_dir, error_rate=1.0)
    try:
        time.sleep(4.0)  # the heartbeat writer goes on writing through the faults
    finally:
        manager.clear_faults(sandbox.state_dir)
    item = ddb.get_item(TableName="roadtrip-heartbeats", Key={"writer": {"S": "us-east-1"}},
                        ConsistentRead=True)["Item"]
    # Beats every second: a writer stopped by the faults would be 4 s stale or more.
    assert time.time() - float(item["written_at"]["N"]) < 3.0


def test_bad_fault_settings_are_refused(sandbox, tmp_path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    for args in (["--error-rate", "1.5"], ["--throttle", "route53"], ["--api-latency", "fast"]):
        result = cli("sandbox", "faults", *args)
        assert result.returncode == 2, (args, result.stderr)
    assert manager.ground_truth(sandbox.state_dir)["faults"]["error_rate"] == 0


def test_failover_completes_under_errors_and_throttling(make_sandbox, use_sandbox,
                                                        tmp_path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    set_faults = cli("sandbox", "faults", "--error-rate", "0.2", "--throttle", "route53=5/s",
                     env={"DRCTL_STATE_DIR": str(sandbox.state_dir)})
    assert set_faults.returncode == 0, set_faults.stderr

    result = cli("--log-json", "failover", "--region", "us-west-2", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["status"] == "succeeded"
    injected = manager.ground_truth(sandbox.state_dir)["faults"]["injected"]
    assert injected["errors"] > 0
    # Every retried call was logged, once per burst of failed attempts (--log-json: as JSON).
    # (Progress lines share stderr with the log: decode the log object, ignore what follows.)
    decoder = json.JSONDecoder()
    bursts = [decoder.raw_decode(line[line.index("{"):])[0]
              for line in result.stderr.splitlines() if '"aws_retried"' in line]
    assert len(bursts) >= 1
    assert all(b["failed_attempts"] == len(b["codes"]) >= 1 for b in bursts)
    assert sum(b["failed_attempts"] for b in bursts) <= injected["errors"] + \
        injected.get("throttled", 0)
    # An S3 HEAD (HeadObject) error has no body: botocore names it by its status, "503", as it
    # does against AWS.
    assert {c for b in bursts for c in b["codes"]} <= {
        "ServiceUnavailable", "Throttling", "Unavailable", "SlowDown", "503"}

    manager.clear_faults(sandbox.state_dir)
    assert estate_snapshot(aws) == AFTER_FAILOVER
