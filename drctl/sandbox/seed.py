"""Seeds the Roadtrip-Copilot estate into the sandbox, through the same AWS API drctl uses.

Seeding goes over HTTP with boto3 clients (never into moto's internals) so that what is seeded is
whatever moto answers for real API calls -- the estate a failover will later read back.
"""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.sandbox import estate
from drctl.sandbox.estate import PRIMARY, REGIONS, SECONDARY
from drctl.sandbox.seed_app_config import seed_app_config

# Neither is ever used to log in; the replica and drills only need an instance that exists.
# The on-demand backup of the POI table that snapshot drills restore.
POIS_BACKUP = "roadtrip-pois-seeded"

_DB_MASTER = {"MasterUsername": "roadtrip", "MasterUserPassword": "sandbox-only-not-a-secret"}


def seed_estate(clients: ClientFactory, app_ports: dict[str, int]) -> dict[str, Any]:
    """Create the whole estate; returns a summary of what exists (ids, ARNs, counts)."""
    regions = {region: seed_region(clients, region) for region in REGIONS}
    return {
        "route53": seed_dns(clients.client("route53", PRIMARY), app_ports),
        "rds": seed_database(clients),
        "s3": seed_media(clients),
        "regions": regions,
        "operators": seed_operators(clients.client("iam", PRIMARY)),
    }


# A second person on one machine: `drctl sandbox env --as approver` exports this IAM user's
# keys, and moto answers GetCallerIdentity with that user (approvals need two principals).
OPERATORS = ("approver",)


def seed_operators(iam: Any) -> dict[str, dict[str, str]]:
    """One IAM user per extra operator, with an access key (sandbox-only, never real)."""
    operators = {}
    for name in OPERATORS:
        user = iam.create_user(UserName=name)["User"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        operators[name] = {"arn": user["Arn"], "access_key_id": key["AccessKeyId"],
                           "secret_access_key": key["SecretAccessKey"]}
    return operators


def seed_region(clients: ClientFactory, region: str) -> dict[str, Any]:
    account = clients.client("sts", region).get_caller_identity()["Account"]
    return {
        "app_config": seed_app_config(clients, region),
        "ecs": seed_ecs(clients.client("ecs", region), region, account),
        "autoscaling": seed_workers(clients, region),
        "alarms": seed_alarms(clients.client("cloudwatch", region), region,
                              _detection_topic(clients, region)),
        "dynamodb": seed_tables(clients.client("dynamodb", region)),
        "notifications": seed_notifications(clients, region),
    }


def seed_dns(route53: Any, app_ports: dict[str, int]) -> dict[str, Any]:
    """The public zone, one health check per regional app, and the weighted `api` pair."""
    zone = route53.create_hosted_zone(Name=estate.ZONE_NAME, CallerReference=_reference())
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    checks = {region: _health_check(route53, region, port) for region, port in app_ports.items()}
    changes = [_weighted_api(region, checks[region]) for region in REGIONS]
    changes += [_regional_a_record(region) for region in REGIONS]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return {"zone_id": zone_id, "record": estate.API_RECORD, "health_checks": checks}


def _health_check(route53: Any, region: str, port: int) -> str:
    config = {
        "Type": "HTTP",
        "FullyQualifiedDomainName": estate.regional_api_host(region),
        "Port": port,
        "ResourcePath": "/health",
        "RequestInterval": 10,
        "FailureThreshold": 1,
    }
    created = route53.create_health_check(CallerReference=_reference(), HealthCheckConfig=config)
    check_id: str = created["HealthCheck"]["Id"]
    route53.change_tags_for_resource(
        ResourceType="healthcheck",
        ResourceId=check_id,
        AddTags=[{"Key": "Name", "Value": f"roadtrip-api-{region}"}],
    )
    return check_id


def _weighted_api(region: str, health_check_id: str) -> dict[str, Any]:
    record = {
        "Name": estate.API_RECORD,
        "Type": "CNAME",
        "SetIdentifier": region,
        "Weight": estate.API_WEIGHTS[region],
        "TTL": estate.RECORD_TTL,
        "ResourceRecords": [{"Value": estate.regional_api_host(region)}],
        "HealthCheckId": health_check_id,
    }
    return {"Action": "UPSERT", "ResourceRecordSet": record}


def _regional_a_record(region: str) -> dict[str, Any]:
    record = {
        "Name": estate.regional_api_host(region),
        "Type": "A",
        "TTL": estate.RECORD_TTL,
        "ResourceRecords": [{"Value": "127.0.0.1"}],
    }
    return {"Action": "UPSERT", "ResourceRecordSet": record}


def seed_ecs(ecs: Any, region: str, account: str) -> dict[str, int]:
    ecs.create_cluster(clusterName=estate.CLUSTER)
    counts = estate.SERVICE_COUNTS[region]
    for service, desired in counts.items():
        family = f"{estate.CLUSTER}-{service}"
        image = (estate.api_image(account, region) if service == "api"
                 else f"roadtrip/{service}:stable")
        container = {"name": service, "image": image, "memory": 512}
        ecs.register_task_definition(family=family, containerDefinitions=[container])
        ecs.create_service(
            cluster=estate.CLUSTER,
            serviceName=service,
            taskDefinition=family,
            desiredCount=desired,
        )
        # moto starts a service with runningCount 0 and sets it to desired only on UpdateService.
        ecs.update_service(cluster=estate.CLUSTER, service=service, desiredCount=desired)
    return dict(counts)


def seed_workers(clients: ClientFactory, region: str) -> dict[str, Any]:
    ec2 = clients.client("ec2", region)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{region}a"
    )["Subnet"]["SubnetId"]
    image_id = _linux_image(ec2)
    ec2.create_launch_template(
        LaunchTemplateName=estate.WORKERS_LAUNCH_TEMPLATE,
        LaunchTemplateData={"ImageId": image_id, "InstanceType": "t3.medium"},
    )
    size = estate.WORKERS_SIZES[region]
    clients.client("autoscaling", region).create_auto_scaling_group(
        AutoScalingGroupName=estate.WORKERS_ASG,
        LaunchTemplate={"LaunchTemplateName": estate.WORKERS_LAUNCH_TEMPLATE, "Version": "$Latest"},
        MinSize=size.min_size,
        MaxSize=size.max_size,
        DesiredCapacity=size.desired,
        VPCZoneIdentifier=subnet_id,
    )
    return {"group": estate.WORKERS_ASG, "desired": size.desired, "subnet_id": subnet_id}


def _linux_image(ec2: Any) -> str:
    # Filtered: moto's unfiltered answer lists every AMI it knows and costs most of a second.
    images = (
        ec2.describe_images(
            Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}]
        )["Images"]
        or ec2.describe_images(Owners=["amazon"])["Images"]
    )
    return str(images[0]["ImageId"])


def _detection_topic(clients: ClientFactory, region: str) -> str:
    """The topic the detection alarms notify on each state change (the playbook's
    `detection.topic`: a controller subscribes its own queue to it)."""
    sns = clients.client("sns", region)
    return str(sns.create_topic(Name=estate.DETECTION_TOPIC)["TopicArn"])


def seed_alarms(cloudwatch: Any, region: str, topic_arn: str | None = None) -> list[str]:
    errors_alarm, latency_alarm = estate.detection_alarms(region)
    dimensions = [{"Name": "LoadBalancer", "Value": f"app/roadtrip-{region}/sandbox"}]
    common = {
        "Namespace": "AWS/ApplicationELB",
        "Dimensions": dimensions,
        "Period": 60,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        **({"AlarmActions": [topic_arn], "OKActions": [topic_arn]} if topic_arn else {}),
    }
    cloudwatch.put_metric_alarm(
        AlarmName=errors_alarm,
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Threshold=50.0,
        **common,
    )
    cloudwatch.put_metric_alarm(
        AlarmName=latency_alarm,
        MetricName="TargetResponseTime",
        Statistic="Average",
        Threshold=1.5,
        **common,
    )
    for alarm in (errors_alarm, latency_alarm):
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="Seeded healthy")
    return [errors_alarm, latency_alarm]


def seed_tables(dynamodb: Any) -> dict[str, Any]:
    for table, key in estate.TABLE_KEYS.items():
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.update_continuous_backups(
        TableName=estate.POIS_TABLE,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    for item in _pois():
        dynamodb.put_item(TableName=estate.POIS_TABLE, Item=item)
    # An on-demand backup, so `drctl drill --kind snapshot` has something to restore.
    backup = dynamodb.create_backup(TableName=estate.POIS_TABLE, BackupName=POIS_BACKUP)
    return {
        "tables": list(estate.TABLE_KEYS),
        "pitr": [estate.POIS_TABLE],
        "pois": estate.SEEDED_POIS,
        "backups": [backup["BackupDetails"]["BackupArn"]],
    }


def _pois() -> list[dict[str, Any]]:
    # The same items in both regions: the replica starts caught up. A fixed base time keeps
    # them identical, so the replicator sees nothing to copy until something changes.
    base = Decimal(int(time.time()) - 3600)
    return [
        {
            "poi_id": {"S": f"poi-{n:03d}"},
            "name": {"S": f"Scenic stop {n}"},
            "lat": {"N": str(Decimal("36.0") + Decimal(n) / 10)},
            "lon": {"N": str(Decimal("-112.0") - Decimal(n) / 10)},
            "updated_at": {"N": str(base + n * 60)},
        }
        for n in range(1, estate.SEEDED_POIS + 1)
    ]


def seed_notifications(clients: ClientFactory, region: str) -> dict[str, str]:
    """The notification topic and the queue subscribed to it, so notifications can be read."""
    sns, sqs = clients.client("sns", region), clients.client("sqs", region)
    topic_arn = sns.create_topic(Name=estate.TOPIC)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=estate.INBOX_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url, Attributes={"Policy": _allow_topic(queue_arn, topic_arn)}
    )
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return {"topic_arn": topic_arn, "queue_url": queue_url, "queue_arn": queue_arn}


def _allow_topic(queue_arn: str, topic_arn: str) -> str:
    # What AWS requires for SNS to deliver; moto does not check it, real accounts do.
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_database(clients: ClientFactory) -> dict[str, str]:
    """The primary instance and its cross-region read replica.

    With backups retained, moto takes one automated snapshot (`rds:roadtrip-db-<minute>`) when
    the instance is created, and never another; that is what snapshot drills restore.
    """
    source = clients.client("rds", estate.DB_REGION).create_db_instance(
        DBInstanceIdentifier=estate.DB_INSTANCE,
        Engine="postgres",
        DBInstanceClass="db.t3.medium",
        AllocatedStorage=20,
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
        **_DB_MASTER,
    )["DBInstance"]
    replica = clients.client("rds", estate.DB_REPLICA_REGION).create_db_instance_read_replica(
        DBInstanceIdentifier=estate.DB_REPLICA,
        SourceDBInstanceIdentifier=source["DBInstanceArn"],
        DBInstanceClass="db.t3.medium",
    )["DBInstance"]
    return {"source_arn": source["DBInstanceArn"], "replica_arn": replica["DBInstanceArn"]}


def seed_media(clients: ClientFactory) -> dict[str, Any]:
    """A versioned media bucket per region, each replicating every key to the other, and a few
    objects written to the primary's (they reach the secondary's by replication, with the lag)."""
    role = _replication_role(clients.client("iam", PRIMARY))
    for region in REGIONS:
        s3 = clients.client("s3", region)
        bucket = estate.media_bucket(region)
        location = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for source, target in ((PRIMARY, SECONDARY), (SECONDARY, PRIMARY)):
        clients.client("s3", source).put_bucket_replication(
            Bucket=estate.media_bucket(source),
            ReplicationConfiguration={"Role": role, "Rules": [_replicate_all(target)]})
    primary = clients.client("s3", PRIMARY)
    for key in estate.SEEDED_MEDIA:
        primary.put_object(Bucket=estate.media_bucket(PRIMARY), Key=key,
                           Body=f"sandbox image {key}".encode(), ContentType="image/jpeg")
    return {"buckets": [estate.media_bucket(r) for r in REGIONS], "role": role,
            "objects": len(estate.SEEDED_MEDIA)}


def _replicate_all(target: str) -> dict[str, Any]:
    # Replication Time Control on: S3 then publishes each rule's ReplicationLatency.
    fifteen = {"Minutes": 15}
    destination = {"Bucket": f"arn:aws:s3:::{estate.media_bucket(target)}",
                   "ReplicationTime": {"Status": "Enabled", "Time": fifteen},
                   "Metrics": {"Status": "Enabled", "EventThreshold": fifteen}}
    return {"ID": estate.media_replication_rule(target), "Priority": 1, "Status": "Enabled",
            "Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": destination}


def _replication_role(iam: Any) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    created = iam.create_role(RoleName=estate.REPLICATION_ROLE,
                              AssumeRolePolicyDocument=json.dumps(trust))
    return str(created["Role"]["Arn"])


def _reference() -> str:
    return f"drctl-sandbox-{uuid.uuid4()}"
