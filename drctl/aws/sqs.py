"""SQS: the controller's own queue on the detection alarms' SNS topic."""

from __future__ import annotations

import json
from typing import Any

from drctl.aws.errors import aws_call


class Sqs:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def create_queue_for_topic(self, name: str, topic_arn: str) -> tuple[str, str]:
        """Create (or find) queue `name`, allowing `topic_arn` to send to it: (url, arn)."""
        with aws_call(f"create queue {name}", self.region):
            url = str(self._client.create_queue(QueueName=name)["QueueUrl"])
            arn = str(self._client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
            policy = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
            self._client.set_queue_attributes(QueueUrl=url,
                                              Attributes={"Policy": json.dumps(policy)})
        return url, arn

    def receive(self, url: str, wait: int) -> list[str]:
        """Message bodies (deleted once read); waits up to `wait` seconds for the first."""
        with aws_call("receive messages", self.region):
            got = self._client.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=wait)
            messages = got.get("Messages", [])
            for message in messages:
                self._client.delete_message(QueueUrl=url,
                                            ReceiptHandle=message["ReceiptHandle"])
        return [str(m["Body"]) for m in messages]

    def delete_queue(self, url: str) -> None:
        with aws_call("delete queue", self.region):
            self._client.delete_queue(QueueUrl=url)
