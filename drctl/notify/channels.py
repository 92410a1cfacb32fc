"""The shipped channels: SNS (through the target region), webhook (Slack-compatible), console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import httpx

from drctl.aws.estate import Aws
from drctl.core.errors import InvalidInput
from drctl.notify.base import Channel, Notification
from drctl.notify.slack import block_kit
from drctl.playbook import schema

SUMMARY_ATTRIBUTE = "drctl.summary"


class SnsChannel:
    def __init__(self, aws: Aws, region: str, topic: str) -> None:
        self._aws, self._region, self._topic = aws, region, topic

    @property
    def name(self) -> str:
        return f"sns:{self._region}:{self._topic}"

    def send(self, note: Notification) -> str:
        """Plain text for people (email, SMS); the data as JSON in the `drctl.summary` message
        attribute, for subscribers that act on it."""
        sns = self._aws.sns(self._region)
        data = json.dumps(note.data, sort_keys=True, default=str)
        return sns.publish(sns.topic_arn(self._topic), note.subject, note.text,
                           attributes={SUMMARY_ATTRIBUTE: data})


class WebhookChannel:
    """POSTs a Slack Block Kit message (`{"text", "blocks"}`, see drctl/notify/slack.py);
    Mattermost and Teams read its `text`. The URL is a secret: never shown."""

    def __init__(self, url: str, env_name: str, timeout: float = 10.0,
                 http: httpx.Client | None = None) -> None:
        self._url, self._env_name, self._timeout = url, env_name, timeout
        self._post = http.post if http is not None else httpx.post

    @property
    def name(self) -> str:
        return f"webhook:${self._env_name}"

    def send(self, note: Notification) -> str:
        try:
            response = self._post(self._url, json=block_kit(note), timeout=self._timeout)
        except httpx.HTTPError as exc:
            # httpx messages can embed the URL; say only what kind of failure it was.
            raise RuntimeError(f"webhook request failed ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise RuntimeError(f"webhook answered HTTP {response.status_code}")
        return f"HTTP {response.status_code}"


class ConsoleChannel:
    def __init__(self, write: Callable[[str], Any] | None = None) -> None:
        self._write = write or (lambda text: print(text, file=sys.stderr))

    @property
    def name(self) -> str:
        return "console"

    def send(self, note: Notification) -> str:
        self._write(f"{note.subject}\n{note.text}")
        return "printed"


def build_channels(
    configs: list[schema.Channel], aws: Aws, region: str, env: dict[str, str],
    console: Callable[[str], Any] | None = None, http: httpx.Client | None = None,
) -> tuple[list[Channel], list[str]]:
    """Channels for notifying through `region`, and notes on channels skipped (unset webhook).
    Webhooks post through `http` (the host's client) when given."""
    channels: list[Channel] = []
    skipped: list[str] = []
    for config in configs:
        if config.sns:
            channels.append(SnsChannel(aws, region, config.sns.topic))
        elif config.webhook:
            url = env.get(config.webhook.url_env, "")
            if url:
                channels.append(WebhookChannel(url, config.webhook.url_env, http=http))
            elif config.webhook.required:
                raise InvalidInput(f"webhook channel needs ${config.webhook.url_env} to be set")
            else:
                skipped.append(f"webhook: skipped ({config.webhook.url_env} not set)")
        else:
            channels.append(ConsoleChannel(console))
    return channels, skipped
