"""The sandbox, end to end: a real supervisor process, asserted on through boto3 and HTTP.

The module's sandbox runs with a 3 s replication lag. Tests that take a region down restore it
before they finish, so the order of the tests does not matter.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from drctl.aws.clients import ClientFactory
from drctl.core.errors import InvalidInput, SandboxError
from drctl.sandbox import estate, manager
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import wait_until

LAG = 3.0
PRIMARY, SECONDARY = estate.PRIMARY, estate.SECONDARY

pytestmark = [pytest.mark.e2e, pytest.mark.sandbox(lag=LAG)]


def health(info: SandboxInfo, region: str) -> int:
    return httpx.get(f"{info.apps[region]}/health", timeout=2, trust_env=False).status_code


def heartbeat(aws: ClientFactory, region: str) -> dict[str, float] | None:
    item = (
        aws.client("dynamodb", region)
        .get_item(
            TableName=estate.HEARTBEATS_TABLE,
            Key={"writer": {"S": PRIMARY}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if item is None:
        return None
    return {"written_at": float(item["written_at"]["N"]), "seq": float(item["seq"]["N"])}


def alarms(aws: ClientFactory, region: str) -> dict[str, dict[str, Any]]:
    names = list(estate.detection_alarms(region))
    found = aws.client("cloudwatch", region).describe_alarms(AlarmNames=names)["MetricAlarms"]
    return {alarm["AlarmName"]: alarm for alarm in found}


@pytest.fixture
def primary_outage(sandbox: SandboxInfo) -> Iterator[dict[str, Any]]:
    """Takes the primary down for the test, and always brings it back."""
    try:
        yield manager.outage(sandbox.state_dir, PRIMARY)
    finally:
        manager.restore(sandbox.state_dir, PRIMARY)


# -- the seeded estate --


def test_api_record_is_weighted_all_to_the_primary(aws: ClientFactory) -> None:
    route53 = aws.client("route53", PRIMARY)
    zone = route53.list_hosted_zones_by_name(DNSName=estate.ZONE_NAME)["HostedZones"][0]
    assert zone["Name"] == f"{estate.ZONE_NAME}."
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    api = {r["SetIdentifier"]: r for r in records if r["Name"] == f"{estate.API_RECORD}."}

    assert {region: r["Weight"] for region, r in api.items()} == {PRIMARY: 100, SECONDARY: 0}
    for region, record in api.items():
        assert record["Type"] == "CNAME" and record["TTL"] == 60
        assert record["ResourceRecords"] == [{"Value": estate.regional_api_host(region)}]
        check = route53.get_health_check(HealthCheckId=record["HealthCheckId"])["HealthCheck"]
        assert check["HealthCheckConfig"]["FullyQualifiedDomainName"] == (
            estate.regional_api_host(region)
        )
        assert check["HealthCheckConfig"]["ResourcePath"] == "/health"
    a_records = {r["Name"] for r in records if r["Type"] == "A"}
    assert a_records == {f"{estate.regional_api_host(r)}." for r in estate.REGIONS}


def test_an_item_updated_in_place_in_the_primary_replicates(aws: ClientFactory) -> None:
    """UpdateItem changes an item in place; the replicator, which reads a source table again
    only when it changed (drctl/sandbox/scan_pages.py `version`), must see it as a change."""
    primary, secondary = (aws.client("dynamodb", r) for r in (PRIMARY, SECONDARY))
    poi = primary.scan(TableName=estate.POIS_TABLE, Limit=1)["Items"][0]
    key = {"poi_id": poi["poi_id"]}

    def name_in(client: Any) -> str:
        item = client.get_item(TableName=estate.POIS_TABLE, Key=key, ConsistentRead=True)
        return str(item["Item"]["name"]["S"])

    try:
        wait_until(lambda: name_in(secondary) == poi["name"]["S"], LAG + 10,
                   "the seeded item in both regions")
        primary.update_item(TableName=estate.POIS_TABLE, Key=key,
                            UpdateExpression="SET #n = :n", ExpressionAttributeNames={"#n": "name"},
                            ExpressionAttributeValues={":n": {"S": "renamed in place"}})
        wait_until(lambda: name_in(secondary) == "renamed in place", LAG + 10,
                   "the in-place update to replicate")
    finally:
        primary.put_item(TableName=estate.POIS_TABLE, Item=poi)
        wait_until(lambda: name_in(secondary) == poi["name"]["S"], LAG + 10,
                   "the item put back to replicate")


def test_traffic_moves_inside_the_route53_change_that_moves_it(
    sandbox: SandboxInfo, aws: ClientFactory
) -> None:
    """Real users follow DNS; the sandbox's active region (the one writing heartbeats and
    replicating out) changes inside the ChangeResourceRecordSets call itself, so the RPO's
    ground truth (`last_cut`) is the switch, not a later poll's view of it."""
    route53 = aws.client("route53", PRIMARY)
    zone = route53.list_hosted_zones_by_name(DNSName=estate.ZONE_NAME)["HostedZones"][0]
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    api = {r["SetIdentifier"]: r for r in records if r["Name"] == f"{estate.API_RECORD}."}

    def weigh(to: str) -> None:
        route53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {**r, "Weight": 100 if region == to else 0}}
            for region, r in api.items()]})

    try:
        for old, new in [(PRIMARY, SECONDARY), (SECONDARY, PRIMARY)]:
            weigh(new)
            truth = manager.ground_truth(sandbox.state_dir)  # no wait: the change did it
            assert truth["active_region"] == new
            assert (truth["last_cut"]["from"], truth["last_cut"]["to"]) == (old, new)
    finally:
        weigh(PRIMARY)


@pytest.mark.parametrize("region", estate.REGIONS)
def test_compute_is_seeded_as_a_warm_standby(aws: ClientFactory, region: str) -> None:
    services = aws.client("ecs", region).describe_services(
        cluster=estate.CLUSTER, services=list(estate.SERVICE_COUNTS[region])
    )["services"]
    counts = {s["serviceName"]: (s["desiredCount"], s["runningCount"]) for s in services}
    assert counts == {name: (n, n) for name, n in estate.SERVICE_COUNTS[region].items()}

    group = aws.client("autoscaling", region).describe_auto_scaling_groups(
        AutoScalingGroupNames=[estate.WORKERS_ASG]
    )["AutoScalingGroups"][0]
    size = estate.WORKERS_SIZES[region]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (
        size.min_size,
        size.max_size,
        size.desired,
    )
    assert {name: a["StateValue"] for name, a in alarms(aws, region).items()} == dict.fromkeys(
        estate.detection_alarms(region), "OK"
    )


def test_database_has_a_cross_region_replica(aws: ClientFactory) -> None:
    source = aws.client("rds", PRIMARY).describe_db_instances(
        DBInstanceIdentifier=estate.DB_INSTANCE
    )["DBInstances"][0]
    replica = aws.client("rds", SECONDARY).describe_db_instances(
        DBInstanceIdentifier=estate.DB_REPLICA
    )["DBInstances"][0]

    assert (source["Engine"], source["DBInstanceClass"]) == ("postgres", "db.t3.medium")
    assert (source["AllocatedStorage"], source["BackupRetentionPeriod"]) == (20, 7)
    assert source["StorageEncrypted"] is True
    assert source["ReadReplicaDBInstanceIdentifiers"] == [replica["DBInstanceArn"]]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"]


@pytest.mark.parametrize("region", estate.REGIONS)
def test_tables_have_pitr_and_pois(aws: ClientFactory, region: str) -> None:
    dynamodb = aws.client("dynamodb", region)
    assert set(estate.REPLICATED_TABLES) <= set(dynamodb.list_tables()["TableNames"])
    backups = dynamodb.describe_continuous_backups(TableName=estate.POIS_TABLE)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    pois = dynamodb.scan(TableName=estate.POIS_TABLE)["Items"]
    assert len(pois) == estate.SEEDED_POIS
    assert all("updated_at" in poi for poi in pois)


def test_notifications_published_in_the_secondary_reach_its_inbox(aws: ClientFactory) -> None:
    sns, sqs = aws.client("sns", SECONDARY), aws.client("sqs", SECONDARY)
    topic_arn = sns.create_topic(Name=estate.TOPIC)["TopicArn"]  # idempotent: finds it
    marker = f"failover-{uuid.uuid4()}"
    sns.publish(TopicArn=topic_arn, Subject="drctl", Message=marker)

    queue_url = sqs.get_queue_url(QueueName=estate.INBOX_QUEUE)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    bodies = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert [b["Message"] for b in bodies if b["TopicArn"] == topic_arn] == [marker]


# -- regional outage, alarms and replication --


def test_outage_fails_the_app_fires_alarms_and_stops_heartbeats(
    sandbox: SandboxInfo, aws: ClientFactory, primary_outage: dict[str, Any]
) -> None:
    recorded = primary_outage["outages"][PRIMARY]
    started = recorded["started_at_epoch"]
    assert datetime.fromisoformat(recorded["started_at"]).timestamp() == pytest.approx(started)
    assert abs(time.time() - started) < 2
    assert (health(sandbox, PRIMARY), health(sandbox, SECONDARY)) == (503, 200)

    for alarm in alarms(aws, PRIMARY).values():
        assert alarm["StateValue"] == "ALARM"
        assert abs(alarm["StateUpdatedTimestamp"].timestamp() - started) < 1.0
    assert {a["StateValue"] for a in alarms(aws, SECONDARY).values()} == {"OK"}

    last = heartbeat(aws, PRIMARY)
    assert last is not None and last["written_at"] <= started + 0.05
    time.sleep(1.5)
    assert heartbeat(aws, PRIMARY) == last


def test_rpo_after_an_outage_is_the_replication_lag(
    sandbox: SandboxInfo, aws: ClientFactory
) -> None:
    # Replication must be flowing steadily (an earlier test's outage leaves a stale copy).
    wait_until(lambda: (hb := heartbeat(aws, SECONDARY)) and time.time() - hb["written_at"]
               <= LAG + 1.2, LAG + 5, "replication to run at the injected lag")
    with_outage = manager.outage(sandbox.state_dir, PRIMARY)
    try:
        primary, secondary = heartbeat(aws, PRIMARY), heartbeat(aws, SECONDARY)
        assert primary is not None and secondary is not None
        assert abs((primary["written_at"] - secondary["written_at"]) - LAG) <= 1.5
        # What was in flight when the region failed is lost, not delivered late.
        time.sleep(LAG + 0.5)
        assert heartbeat(aws, SECONDARY) == secondary
    finally:
        manager.restore(sandbox.state_dir, PRIMARY)
    assert PRIMARY in with_outage["outages"]


def test_restore_heals_the_app_clears_alarms_and_resumes_replication(
    sandbox: SandboxInfo, aws: ClientFactory
) -> None:
    manager.outage(sandbox.state_dir, PRIMARY)
    before = heartbeat(aws, SECONDARY)
    document = manager.restore(sandbox.state_dir, PRIMARY)

    assert document["outages"] == {}
    assert health(sandbox, PRIMARY) == 200
    assert {a["StateValue"] for a in alarms(aws, PRIMARY).values()} == {"OK"}
    resumed = wait_until(
        lambda: (hb := heartbeat(aws, SECONDARY)) and hb != before and hb,
        LAG + 3,
        "replication to resume",
    )
    assert resumed["written_at"] > time.time() - LAG - 2


def test_replication_lag_changes_at_runtime_and_is_published(
    sandbox: SandboxInfo, aws: ClientFactory
) -> None:
    try:
        document = manager.set_replication_lag(sandbox.state_dir, 1.0)
        assert document["replication_lag_seconds"] == 1.0
        assert manager.ground_truth(sandbox.state_dir)["replication_lag_seconds"] == 1.0
    finally:
        manager.set_replication_lag(sandbox.state_dir, LAG)

    metrics = aws.client("cloudwatch", SECONDARY).list_metrics(
        Namespace="AWS/RDS", MetricName="ReplicaLag"
    )["Metrics"]
    assert [{"Name": "DBInstanceIdentifier", "Value": estate.DB_REPLICA}] in [
        m["Dimensions"] for m in metrics]


def test_an_unknown_region_is_invalid_input(sandbox: SandboxInfo) -> None:
    with pytest.raises(InvalidInput, match="us-east-1, us-west-2"):
        manager.outage(sandbox.state_dir, "eu-west-1")
    reply = httpx.post(
        f"{sandbox.endpoint_url}/_sandbox/outage", json={"region": "eu-west-1"}, trust_env=False
    )
    assert reply.status_code == 400 and "eu-west-1" in reply.json()["error"]


# -- fidelity fixes (drctl/sandbox/fidelity.py): each asserts what AWS does --


def cross_region_replica(aws: ClientFactory) -> tuple[str, str]:
    """A source in the primary and its replica in the secondary, apart from the seeded pair."""
    name = f"fidelity-{uuid.uuid4().hex[:8]}"
    source = aws.client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="fidelity",
        MasterUserPassword="not-a-secret-1",
    )["DBInstance"]
    aws.client("rds", SECONDARY).create_db_instance_read_replica(
        DBInstanceIdentifier=f"{name}-replica",
        SourceDBInstanceIdentifier=source["DBInstanceArn"],
    )
    return name, f"{name}-replica"


def describe(aws: ClientFactory, region: str, name: str) -> dict[str, Any]:
    instances = aws.client("rds", region).describe_db_instances(DBInstanceIdentifier=name)
    return dict(instances["DBInstances"][0])


def test_promoted_cross_region_replica_is_standalone(aws: ClientFactory) -> None:
    source, replica = cross_region_replica(aws)
    assert describe(aws, PRIMARY, source)["ReadReplicaDBInstanceIdentifiers"]

    aws.client("rds", SECONDARY).promote_read_replica(DBInstanceIdentifier=replica)

    assert "ReadReplicaSourceDBInstanceIdentifier" not in describe(aws, SECONDARY, replica)
    assert describe(aws, PRIMARY, source)["ReadReplicaDBInstanceIdentifiers"] == []


def test_deleted_cross_region_replica_leaves_its_source(aws: ClientFactory) -> None:
    source, replica = cross_region_replica(aws)

    aws.client("rds", SECONDARY).delete_db_instance(
        DBInstanceIdentifier=replica, SkipFinalSnapshot=True
    )

    assert describe(aws, PRIMARY, source)["ReadReplicaDBInstanceIdentifiers"] == []


def test_desired_capacity_outside_the_group_bounds_is_refused(aws: ClientFactory) -> None:
    asg = aws.client("autoscaling", SECONDARY)
    for value, word in ((13, "above max value 12"), (0, "below min value 1")):
        with pytest.raises(ClientError) as refused:
            asg.set_desired_capacity(AutoScalingGroupName="roadtrip-workers",
                                     DesiredCapacity=value)
        assert refused.value.response["Error"]["Code"] == "ValidationError"
        assert word in refused.value.response["Error"]["Message"]
    group = asg.describe_auto_scaling_groups(
        AutoScalingGroupNames=["roadtrip-workers"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 1


# -- the manager --


def test_env_exports_point_at_the_sandbox(
    sandbox: SandboxInfo, sandbox_env: dict[str, str]
) -> None:
    assert sandbox_env == {
        "AWS_ENDPOINT_URL": sandbox.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": PRIMARY,
        "ROADTRIP_API_US_EAST_1": sandbox.apps[PRIMARY],
        "ROADTRIP_API_US_WEST_2": sandbox.apps[SECONDARY],
        "DRCTL_SANDBOX_STATE_DIR": str(sandbox.state_dir),
    }


def test_a_second_start_in_the_same_state_dir_is_refused(sandbox: SandboxInfo) -> None:
    with pytest.raises(SandboxError, match=sandbox.endpoint_url):
        manager.start(sandbox.state_dir)
    assert manager.status(sandbox.state_dir) == sandbox


def test_start_returns_in_steady_state_and_stop_removes_everything(
    make_sandbox: Callable[..., SandboxInfo], use_sandbox: Callable[[SandboxInfo], ClientFactory],
) -> None:
    info = make_sandbox(lag=3.0)
    # Ready is steady state: the primary's heartbeat is in the secondary already (it took the
    # 3 s lag to get there) and the alarms have been judged at least once.
    assert heartbeat(use_sandbox(info), SECONDARY) is not None
    truth = manager.ground_truth(info.state_dir)
    assert truth["ready"] is True and truth["alarm_evaluations"] >= 1
    state_file = info.state_dir / "sandbox" / "state.json"
    assert state_file.exists()

    assert manager.stop(info.state_dir) is True

    assert not Path(f"/proc/{info.pid}").exists()
    assert not state_file.exists() and not (info.state_dir / "sandbox" / "pid").exists()
    assert manager.status(info.state_dir) is None
    assert manager.stop(info.state_dir) is False


def test_a_supervisor_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SandboxError, match="exited with code 1") as failure:
            manager.start(tmp_path, port=taken.getsockname()[1], timeout=30)

    assert "Address already in use" in str(failure.value)
    assert not (tmp_path / "sandbox" / "pid").exists()


def test_a_stale_pidfile_is_cleaned_up(tmp_path: Path) -> None:
    pidfile = tmp_path / "sandbox" / "pid"
    pidfile.parent.mkdir()
    pidfile.write_text("1\n")  # alive, but not a sandbox supervisor: must never be signalled

    assert manager.status(tmp_path) is None
    assert not pidfile.exists()
