"""The alarm queues a SIGKILLed controller leaves behind (issue 11): a controller starting up
deletes them, with their topic subscriptions, against the sandbox's SQS and SNS -- and keeps a
live controller's queue, its own, and queues it cannot attribute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.controller.events import QUEUE_PREFIX, AlarmTopicListener, Sweep, sweep_stale_queues
from drctl.controller.leader import Presence
from drctl.controller.state import Claimant
from drctl.core.identity import Owner
from drctl.playbook.loader import load_playbook
from drctl.sandbox.manager import SandboxInfo
from drctl.store.memory import MemoryStore
from tests.e2e.helpers import PLAYBOOK

pytestmark = pytest.mark.e2e
REGION = "us-east-1"


def subscribed(aws: ClientFactory, queue_arn: str) -> bool:
    sns = aws.client("sns", REGION)
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    return any(s["Endpoint"] == queue_arn for topic in topics
               for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])


def queue_arns(aws: ClientFactory) -> dict[str, str]:
    sqs = aws.client("sqs", REGION)
    urls = sqs.list_queues(QueueNamePrefix=QUEUE_PREFIX).get("QueueUrls", [])
    return {url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"] for url in urls}


def test_a_starting_controller_deletes_the_queues_of_dead_controllers_only(
        sandbox: SandboxInfo, aws: ClientFactory) -> None:
    playbook = load_playbook(PLAYBOOK)
    estate, store = Aws(ClientFactory()), MemoryStore()
    now = datetime.now(UTC)

    def controller(name: str) -> AlarmTopicListener:
        listener = AlarmTopicListener(playbook, estate, name, lambda: None)
        listener._subscribe(REGION)  # what start() does, without its receiving thread
        return listener

    dead, live, me = controller("dead-1"), controller("live-1"), controller("me-1")
    Presence(store, Claimant(Owner("ops", "h", 2), "live-1"), 60).step(now)
    untagged = aws.client("sqs", REGION).create_queue(QueueName=QUEUE_PREFIX + "untagged")
    before = queue_arns(aws)
    dead_url = next(url for url in before if url.endswith(dead.queue))
    assert subscribed(aws, before[dead_url])

    # Queues younger than the TTL are kept whoever made them: a controller starting at the
    # same moment may not have written its presence yet.
    young = Sweep(estate, store, "me-1", timedelta(seconds=3600))
    assert sweep_stale_queues(playbook, young, now) == []
    deleted = sweep_stale_queues(playbook, Sweep(estate, store, "me-1", timedelta(0)),
                                 datetime.now(UTC) + timedelta(seconds=1))

    assert deleted == [dead_url]
    after = queue_arns(aws)
    assert dead_url not in after and not subscribed(aws, before[dead_url])
    kept = {url for url in after if url.endswith((live.queue, me.queue))}
    assert len(kept) == 2 and untagged["QueueUrl"] in after
    for listener in (live, me):
        listener.stop()
    aws.client("sqs", REGION).delete_queue(QueueUrl=untagged["QueueUrl"])
