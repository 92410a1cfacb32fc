"""SNS: find a topic by name, publish to it, subscribe a queue to it."""

from __future__ import annotations

from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


class Sns:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def topic_arn(self, topic: str) -> str:
        """`topic` is an ARN (returned as is) or a name looked up in this region."""
        if topic.startswith("arn:"):
            return topic
        with aws_call("list topics", self.region):
            for page in self._client.get_paginator("list_topics").paginate():
                for entry in page["Topics"]:
                    if entry["TopicArn"].rsplit(":", 1)[-1] == topic:
                        return str(entry["TopicArn"])
        raise ResourceMissing(f"SNS topic {topic!r} not found in {self.region}")

    def subscribe_queue(self, topic_arn: str, queue_arn: str) -> str:
        with aws_call(f"subscribe to {topic_arn}", self.region):
            response = self._client.subscribe(TopicArn=topic_arn, Protocol="sqs",
                                              Endpoint=queue_arn)
        return str(response["SubscriptionArn"])

    def subscriptions_of(self, topic_arn: str, endpoint: str) -> list[str]:
        """The ARNs of `topic_arn`'s subscriptions delivering to `endpoint`."""
        found = []
        with aws_call(f"list subscriptions of {topic_arn}", self.region):
            pages = self._client.get_paginator("list_subscriptions_by_topic").paginate(
                TopicArn=topic_arn)
            for page in pages:
                found += [str(s["SubscriptionArn"]) for s in page["Subscriptions"]
                          if s.get("Endpoint") == endpoint]
        return found

    def unsubscribe(self, subscription_arn: str) -> None:
        with aws_call("unsubscribe", self.region):
            self._client.unsubscribe(SubscriptionArn=subscription_arn)

    def publish(self, topic_arn: str, subject: str, message: str,
                attributes: dict[str, str] | None = None) -> str:
        """`attributes`: string message attributes (name -> value)."""
        extra = {"MessageAttributes": {name: {"DataType": "String", "StringValue": value}
                                       for name, value in attributes.items()}} \
            if attributes else {}
        with aws_call(f"publish to {topic_arn}", self.region):
            response = self._client.publish(TopicArn=topic_arn, Subject=subject[:100],
                                            Message=message, **extra)
        return str(response["MessageId"])
