"""Fidelity: CloudWatch publishes an alarm's notification JSON to the SNS topics of its
actions on each state change (AWS does; moto does not -- drctl/sandbox/alarm_actions.py).
The sandbox's detection alarms name `drctl-detection-alarms` in AlarmActions and OKActions."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e
REGION, ALARM = "us-west-2", "roadtrip-api-5xx-us-west-2"


def subscribed_queue(aws: ClientFactory) -> str:
    sns, sqs = aws.client("sns", REGION), aws.client("sqs", REGION)
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"]
                 if t["TopicArn"].endswith(":drctl-detection-alarms"))
    url = sqs.create_queue(QueueName=f"alarm-test-{secrets.token_hex(3)}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return str(url)


def alarm_notifications(aws: ClientFactory, url: str) -> list[dict[str, Any]]:
    got = aws.client("sqs", REGION).receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(json.loads(m["Body"])["Message"]) for m in got.get("Messages", [])]


def test_a_state_change_publishes_the_alarm_notification_to_its_actions_topic(
        aws: ClientFactory) -> None:
    alarm = aws.client("cloudwatch", REGION).describe_alarms(AlarmNames=[ALARM])[
        "MetricAlarms"][0]
    assert alarm["AlarmActions"] == alarm["OKActions"]
    assert alarm["AlarmActions"][0].endswith(":drctl-detection-alarms")
    url = subscribed_queue(aws)
    cloudwatch = aws.client("cloudwatch", REGION)
    try:
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="test")
        seen: list[dict[str, Any]] = []
        wait_until(lambda: seen.extend(alarm_notifications(aws, url)) or seen, 10,
                   "the ALARM notification")
        (note,) = seen
        assert (note["AlarmName"], note["OldStateValue"], note["NewStateValue"]) == (
            ALARM, "OK", "ALARM")
        assert note["NewStateReason"] == "test" and note["Region"] == "US West (Oregon)"
        assert note["AlarmArn"] == alarm["AlarmArn"]
        assert note["Trigger"]["MetricName"] == "HTTPCode_Target_5XX_Count"
        # Setting the same state again is no transition: nothing is published.
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="again")
    finally:
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test over")
    later: list[dict[str, Any]] = []
    wait_until(lambda: later.extend(alarm_notifications(aws, url)) or later, 10,
               "the OK notification")
    assert [n["NewStateValue"] for n in later] == ["OK"]
