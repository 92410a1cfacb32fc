"""Event-driven detection: a queue this controller owns, subscribed to the playbook's
`detection.topic` in each region, wakes the alarm watch the moment an alarm changes state.

The alarms publish their notifications to that topic themselves (their AlarmActions and
OKActions); the controller never edits an alarm. Polling stays as the fallback: a queue that
cannot be set up, or a lost message, only costs the latency of one poll interval.

A queue is tagged with its controller and topic. A controller stopped cleanly deletes its own;
one SIGKILLed cannot, so every controller, as it starts, deletes the queues (and their topic
subscriptions) of controllers that are gone: tagged with another controller whose presence
lease (drctl/controller/leader.py) is absent or expired, and older than that lease's TTL (so a
controller starting at the same moment, its lease not yet seen, keeps its queue).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from drctl.aws.estate import Aws
from drctl.aws.sqs import QueueInfo
from drctl.controller.detect import watched_alarms
from drctl.controller.state import controller_alive
from drctl.core.errors import DrctlError
from drctl.core.store import Store
from drctl.playbook.schema import Playbook

log = structlog.get_logger("drctl.controller")
QUEUE_PREFIX = "drctl-controller-"
OWNER_TAG, TOPIC_TAG = "drctl:controller", "drctl:topic"


class AlarmTopicListener:
    def __init__(self, playbook: Playbook, aws: Aws, controller_id: str,
                 on_event: Callable[[], None]) -> None:
        assert playbook.detection.topic is not None
        self.playbook = playbook
        self.aws = aws
        # One queue per controller and playbook: two listeners never take each other's messages.
        owner = f"{controller_id}/{playbook.name}".encode()
        self.queue = QUEUE_PREFIX + hashlib.sha256(owner).hexdigest()[:16]
        self.controller_id = controller_id
        self.on_event = on_event
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._owned: list[tuple[str, str, str]] = []   # (region, queue url, subscription)

    def start(self) -> None:
        for region in self.playbook.regions:
            try:
                url = self._subscribe(region)
            except DrctlError as exc:
                log.warning("alarm_topic_unavailable", playbook=self.playbook.name,
                            region=region, error=str(exc), fallback="polling")
                continue
            thread = threading.Thread(target=self._listen, args=(region, url), daemon=True,
                                      name=f"drctl-alarms-{region}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for region, url, subscription in self._owned:
            try:
                self.aws.sns(region).unsubscribe(subscription)
                self.aws.sqs(region).delete_queue(url)
            except DrctlError as exc:
                log.warning("alarm_queue_cleanup_failed", region=region, error=str(exc))

    def _subscribe(self, region: str) -> str:
        topic = self.aws.sns(region).topic_arn(str(self.playbook.detection.topic))
        url, arn = self.aws.sqs(region).create_queue_for_topic(
            self.queue, topic, {OWNER_TAG: self.controller_id, TOPIC_TAG: topic})
        subscription = self.aws.sns(region).subscribe_queue(topic, arn)
        self._owned.append((region, url, subscription))
        log.info("alarm_topic_subscribed", playbook=self.playbook.name, region=region,
                 topic=topic, queue=self.queue)
        return url

    def _listen(self, region: str, url: str) -> None:
        watched = set(watched_alarms(self.playbook, region))
        while not self._stop.is_set():
            try:
                bodies = self.aws.sqs(region).receive(url, wait=1)
            except DrctlError as exc:
                log.warning("alarm_queue_unreadable", region=region, error=str(exc))
                self._stop.wait(5)
                continue
            # Acted on first, deleted after: the deletion's round trip is not in the latency.
            for body, _ in bodies:
                name, state = alarm_change(body)
                if name in watched:
                    log.info("alarm_event", playbook=self.playbook.name, alarm=name,
                             state=state)
                    self.on_event()
            try:
                self.aws.sqs(region).delete(url, [receipt for _, receipt in bodies])
            except DrctlError as exc:  # read again later: a duplicate event is harmless
                log.warning("alarm_queue_delete_failed", region=region, error=str(exc))


def alarm_change(body: str) -> tuple[str | None, str | None]:
    """(alarm name, new state) from an SNS envelope carrying CloudWatch's alarm JSON."""
    try:
        message = json.loads(json.loads(body)["Message"])
        return message.get("AlarmName"), message.get("NewStateValue")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None


@dataclass(frozen=True)
class Sweep:
    """What a starting controller needs to tell a dead controller's queue from a live one's."""

    aws: Aws
    store: Store
    me: str               # this controller's id: its own queues are never swept
    ttl: timedelta        # the presence lease's TTL


def sweep_stale_queues(playbook: Playbook, sweep: Sweep, now: datetime) -> list[str]:
    """Delete the alarm queues gone controllers left in `playbook`'s regions, with their topic
    subscriptions; return their URLs. A region that cannot be read is logged and skipped."""
    deleted: list[str] = []
    for region in playbook.regions:
        try:
            queues = sweep.aws.sqs(region).queues(QUEUE_PREFIX)
            deleted += [q.url for q in queues if _stale(q, sweep, now)
                        and _delete(q, region, sweep.aws)]
        except DrctlError as exc:
            log.warning("alarm_queue_sweep_failed", region=region, error=str(exc))
    return deleted


def _stale(queue: QueueInfo, sweep: Sweep, now: datetime) -> bool:
    owner = queue.tags.get(OWNER_TAG)
    if owner is None or owner == sweep.me or now - queue.created_at < sweep.ttl:
        return False  # not ours to judge (untagged), ours, or perhaps just being set up
    return not controller_alive(sweep.store, owner, now)


def _delete(queue: QueueInfo, region: str, aws: Aws) -> bool:
    topic = queue.tags.get(TOPIC_TAG)
    for subscription in aws.sns(region).subscriptions_of(topic, queue.arn) if topic else []:
        aws.sns(region).unsubscribe(subscription)
    aws.sqs(region).delete_queue(queue.url)
    log.warning("stale_alarm_queue_deleted", region=region, queue=queue.url,
                controller=queue.tags.get(OWNER_TAG))
    return True
