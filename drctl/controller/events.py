"""Event-driven detection: a queue this controller owns, subscribed to the playbook's
`detection.topic` in each region, wakes the alarm watch the moment an alarm changes state.

The alarms publish their notifications to that topic themselves (their AlarmActions and
OKActions); the controller never edits an alarm. Polling stays as the fallback: a queue that
cannot be set up, or a lost message, only costs the latency of one poll interval.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

import structlog

from drctl.aws.estate import Aws
from drctl.controller.detect import watched_alarms
from drctl.core.errors import DrctlError
from drctl.playbook.schema import Playbook

log = structlog.get_logger("drctl.controller")
QUEUE_PREFIX = "drctl-controller-"


class AlarmTopicListener:
    def __init__(self, playbook: Playbook, aws: Aws, controller_id: str,
                 on_event: Callable[[], None]) -> None:
        assert playbook.detection.topic is not None
        self.playbook = playbook
        self.aws = aws
        # One queue per controller and playbook: two listeners never take each other's messages.
        owner = f"{controller_id}/{playbook.name}".encode()
        self.queue = QUEUE_PREFIX + hashlib.sha256(owner).hexdigest()[:16]
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
        url, arn = self.aws.sqs(region).create_queue_for_topic(self.queue, topic)
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
            for body in bodies:
                name, state = alarm_change(body)
                if name in watched:
                    log.info("alarm_event", playbook=self.playbook.name, alarm=name,
                             state=state)
                    self.on_event()


def alarm_change(body: str) -> tuple[str | None, str | None]:
    """(alarm name, new state) from an SNS envelope carrying CloudWatch's alarm JSON."""
    try:
        message = json.loads(json.loads(body)["Message"])
        return message.get("AlarmName"), message.get("NewStateValue")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None
