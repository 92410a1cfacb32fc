"""SQS: the controller's own queue on the detection alarms' SNS topic."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import AwsError

GONE = ("NonExistentQueue", "QueueDoesNotExist")  # the query and the JSON protocol's codes


@dataclass(frozen=True)
class QueueInfo:
    url: str
    arn: str
    created_at: datetime
    tags: dict[str, str]


class Sqs:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def create_queue_for_topic(self, name: str, topic_arn: str,
                               tags: dict[str, str] | None = None) -> tuple[str, str]:
        """Create (or find) queue `name` with `tags`, allowing `topic_arn` to send to it:
        (url, arn)."""
        with aws_call(f"create queue {name}", self.region):
            url = str(self._client.create_queue(QueueName=name, tags=tags or {})["QueueUrl"])
            arn = str(self._client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
            policy = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
            self._client.set_queue_attributes(QueueUrl=url,
                                              Attributes={"Policy": json.dumps(policy)})
        return url, arn

    def receive(self, url: str, wait: int) -> list[tuple[str, str]]:
        """(body, receipt handle) of up to 10 messages; waits up to `wait` seconds for the
        first. Delete them with `delete` once handled."""
        with aws_call("receive messages", self.region):
            got = self._client.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=wait)
        return [(str(m["Body"]), str(m["ReceiptHandle"])) for m in got.get("Messages", [])]

    def delete(self, url: str, receipts: list[str]) -> None:
        """Delete handled messages, in one call."""
        if receipts:
            with aws_call("delete messages", self.region):
                self._client.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts)])

    def delete_queue(self, url: str) -> None:
        with aws_call("delete queue", self.region):
            self._client.delete_queue(QueueUrl=url)

    def queues(self, prefix: str) -> list[QueueInfo]:
        """Every queue whose name starts with `prefix`, with its ARN, creation time and tags
        (a queue deleted meanwhile is left out)."""
        with aws_call(f"list queues {prefix}*", self.region):
            urls = self._client.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
        found = []
        for url in urls:
            try:
                found.append(self._info(str(url)))
            except AwsError as exc:
                if not any(code in (exc.code or "") for code in GONE):
                    raise
        return found

    def _info(self, url: str) -> QueueInfo:
        with aws_call(f"describe queue {url}", self.region):
            attributes = self._client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["QueueArn", "CreatedTimestamp"])["Attributes"]
            tags = self._client.list_queue_tags(QueueUrl=url).get("Tags", {})
        # AWS sends whole seconds; moto a fraction: float reads both.
        created = datetime.fromtimestamp(float(attributes["CreatedTimestamp"]), UTC)
        return QueueInfo(url, str(attributes["QueueArn"]), created, dict(tags))
