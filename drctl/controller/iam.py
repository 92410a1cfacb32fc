"""What a controller needs on top of the failover's policy: the shared store (a DynamoDB
table), the RPO canary's writes, the alarm topic's queue (and deleting the queues of dead
controllers), and Route53's health check status (the outage signal when alarms cannot be
read). The actions of the scheduled drills, experiments and runbooks themselves are theirs to
list (chaostoolkit-aws calls, restores, a runbook's AWS calls)."""

from __future__ import annotations

from typing import Any

from drctl.failover.iam import failover_policy, statement
from drctl.playbook.schema import Playbook

# No CreateTable: a controller never creates its store (drctl/controller/store_check.py);
# DescribeTable in any region, where it looks for the table when it is not in its own.
STORE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                 "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
QUEUE_PREFIX = "drctl-controller-"


def controller_policy(playbook: Playbook, account: str = "*",
                      state_table: tuple[str, str] | None = None) -> dict[str, Any]:
    """The failover's statements, then the controller's own. `state_table`: (table, region)
    of a DynamoDB store (a global table: every replica region is listed by its ARN's `*`)."""
    policy = failover_policy(playbook, account)
    regions = list(playbook.regions)
    extra: list[dict[str, Any]] = []
    if state_table is not None:
        table, _ = state_table
        extra.append(statement("SharedStore", STORE_ACTIONS,
                               [f"arn:aws:dynamodb:*:{account}:table/{table}"]))
    beats = sorted({s.heartbeat.table for s in playbook.rpo_sources if s.heartbeat})
    if beats and playbook.controller.canary.enabled:
        extra.append(statement("RpoCanary", ["dynamodb:PutItem"], [
            f"arn:aws:dynamodb:{r}:{account}:table/{t}" for r in regions for t in beats]))
    if playbook.detection.topic:
        topic = playbook.detection.topic
        topics = [topic if topic.startswith("arn:") else f"arn:aws:sns:{r}:{account}:{topic}"
                  for r in regions]
        extra.append(statement("AlarmTopicSubscription", [
            "sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptionsByTopic"], topics))
        extra.append(statement("AlarmQueue", [
            "sqs:CreateQueue", "sqs:TagQueue", "sqs:ListQueueTags", "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage",
            "sqs:DeleteQueue"],
            [f"arn:aws:sqs:{r}:{account}:{QUEUE_PREFIX}*" for r in regions]))
        extra.append(statement("AlarmQueueList", ["sqs:ListQueues"], ["*"]))
    if playbook.controller.watch:
        extra.append(statement("OutageSignal", ["route53:GetHealthCheckStatus"],
                               ["arn:aws:route53:::healthcheck/*"]))
    return {**policy, "Statement": [*policy["Statement"], *extra]}
