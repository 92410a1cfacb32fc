"""One object that hands out adapters per region: what the core is given instead of boto3."""

from __future__ import annotations

from drctl.aws.app_config import AppConfig
from drctl.aws.autoscaling import AutoScaling
from drctl.aws.clients import ClientFactory
from drctl.aws.cloudwatch import CloudWatch
from drctl.aws.dynamodb import DynamoDb
from drctl.aws.dynamodb_restore import DynamoDbRestore
from drctl.aws.ec2 import Ec2
from drctl.aws.ecs import Ecs
from drctl.aws.generic import GenericApi
from drctl.aws.iam import Iam
from drctl.aws.rds import Rds
from drctl.aws.rds_restore import RdsRestore
from drctl.aws.route53 import Route53
from drctl.aws.s3 import S3
from drctl.aws.s3_restore import S3Restore
from drctl.aws.sns import Sns
from drctl.aws.sqs import Sqs
from drctl.aws.sts import Sts

# Route53 is a global service served from us-east-1.
ROUTE53_REGION = "us-east-1"


class Aws:
    def __init__(self, factory: ClientFactory) -> None:
        self.factory = factory

    def route53(self) -> Route53:
        return Route53(self.factory.client("route53", ROUTE53_REGION))

    def cloudwatch(self, region: str) -> CloudWatch:
        return CloudWatch(self.factory.client("cloudwatch", region), region)

    def ecs(self, region: str) -> Ecs:
        return Ecs(self.factory.client("ecs", region), region)

    def ec2(self, region: str) -> Ec2:
        return Ec2(self.factory.client("ec2", region), region)

    def autoscaling(self, region: str) -> AutoScaling:
        return AutoScaling(self.factory.client("autoscaling", region), region)

    def rds(self, region: str) -> Rds:
        return Rds(self.factory.client("rds", region), region)

    def dynamodb(self, region: str) -> DynamoDb:
        return DynamoDb(self.factory.client("dynamodb", region), region)

    def sns(self, region: str) -> Sns:
        return Sns(self.factory.client("sns", region), region)

    def app_config(self, region: str) -> AppConfig:
        return AppConfig(self.factory.client("secretsmanager", region),
                         self.factory.client("ssm", region), self.factory.client("ecr", region),
                         region)

    def s3(self, region: str) -> S3:
        return S3(self.factory.client("s3", region), region)

    def sqs(self, region: str) -> Sqs:
        return Sqs(self.factory.client("sqs", region), region)

    def s3_restore(self, region: str) -> S3Restore:
        return S3Restore(self.factory.client("s3", region), region)

    def sts(self) -> Sts:
        return Sts(self.factory.client("sts", ROUTE53_REGION))

    def iam(self) -> Iam:
        return Iam(self.factory.client("iam", ROUTE53_REGION))

    def dynamodb_restore(self, region: str) -> DynamoDbRestore:
        return DynamoDbRestore(self.factory.client("dynamodb", region), region)

    def rds_restore(self, region: str) -> RdsRestore:
        return RdsRestore(self.factory.client("rds", region), region)

    def api(self) -> GenericApi:
        """Any AWS API by name (runbooks' `aws.call`)."""
        return GenericApi(self.factory)
