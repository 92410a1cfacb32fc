"""The least-privilege IAM policy a playbook's failover needs, derived from the playbook.

Read-only calls that AWS does not scope to resources get `*`; every call that changes
something is scoped to the resources the playbook names (Route53 record changes to the
playbook's record names, through the NormalizedRecordNames condition key).
"""

from __future__ import annotations

from typing import Any

from drctl.failover.iam_dependencies import dependency_statements
from drctl.playbook.schema import Playbook


def failover_policy(playbook: Playbook, account: str = "*") -> dict[str, Any]:
    regions = list(playbook.regions)
    statements: list[dict[str, Any]] = [
        statement("ReadWithoutResourceScope", [
            "route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:GetChange",
            "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricStatistics",
            "autoscaling:DescribeAutoScalingGroups", "sns:ListTopics", "sts:GetCallerIdentity",
        ], ["*"]),
        statement("SwitchDns", ["route53:ChangeResourceRecordSets"],
              ["arn:aws:route53:::hostedzone/*"],
              {"ForAllValues:StringEquals": {
                  "route53:ChangeResourceRecordSetsNormalizedRecordNames":
                      sorted(r.name.rstrip(".").lower() for r in playbook.dns.records)}}),
    ]
    ecs = [f"arn:aws:ecs:{region}:{account}:service/{cfg.cluster}/{name}"
           for region in regions for cfg in playbook.scale.ecs for name in cfg.services]
    if ecs:
        statements.append(statement("ScaleEcs", ["ecs:DescribeServices", "ecs:UpdateService"], ecs))
    asgs = [f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/"
            f"{cfg.group}" for region in regions for cfg in playbook.scale.autoscaling]
    if asgs:
        statements.append(statement("ScaleAutoScaling", ["autoscaling:SetDesiredCapacity"], asgs))
    promote = playbook.scale.rds_promote
    if promote:
        dbs = [f"arn:aws:rds:{r}:{account}:db:{ident}" for r, ident in promote.replicas.items()]
        statements.append(statement("PromoteReplica",
                                ["rds:DescribeDBInstances", "rds:PromoteReadReplica"], dbs))
        if promote.recreate:
            sources = [f"arn:aws:rds:{src.source_region}:{account}:db:{src.source}"
                       for src in promote.recreate.values()]
            targets = [f"arn:aws:rds:{r}:{account}:db:{promote.replicas[r]}"
                       for r in promote.recreate if r in promote.replicas]
            statements.append(statement("RecreateReplicaForFailback", [
                "rds:DescribeDBInstances", "rds:CreateDBInstanceReadReplica"],
                sorted(set(sources + targets))))
    tables = sorted({src.heartbeat.table for src in playbook.rpo_sources if src.heartbeat})
    if tables:
        statements.append(statement("ReadHeartbeats", ["dynamodb:GetItem"], [
            f"arn:aws:dynamodb:{r}:{account}:table/{t}" for r in regions for t in tables]))
    statements += [statement(sid, actions, resources)
                   for sid, actions, resources in dependency_statements(playbook, account)]
    topics = sorted({c.sns.topic for c in playbook.notify if c.sns})
    if topics:
        statements.append(statement("Notify", ["sns:Publish"], [
            t if t.startswith("arn:") else f"arn:aws:sns:{r}:{account}:{t}"
            for r in regions for t in topics]))
    if playbook.metrics.cloudwatch:
        # PutMetricData has no resource ARN; the namespace condition keeps it to drctl's own.
        statements.append(statement("PublishRunMetrics", ["cloudwatch:PutMetricData"], ["*"],
                                {"StringEquals": {"cloudwatch:namespace": "drctl"}}))
    return {"Version": "2012-10-17", "Statement": statements}


def statement(sid: str, actions: list[str], resources: list[str],
          condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions,
                                 "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement
