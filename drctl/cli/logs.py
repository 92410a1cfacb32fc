"""structlog set-up, always on stderr: readable lines for people (on a terminal or not), JSON
lines with `--log-json` (and in the controller, whose default it is). An AWS retry burst is one
line (`drctl/aws/retry_log.py`), written as a sentence for people.

Secrets never reach a log line: values of secret-looking keys are masked, and so is every
value of an environment variable that a channel reads a secret from (DRCTL_WEBHOOK_URL …).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog

SECRET_KEYS = ("url", "secret", "token", "password", "key")
SECRET_ENV_PREFIXES = ("DRCTL_WEBHOOK", "AWS_SECRET", "AWS_SESSION_TOKEN")


def _secret_values() -> list[str]:
    return [v for k, v in os.environ.items() if k.startswith(SECRET_ENV_PREFIXES) and len(v) > 4]


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    secrets = _secret_values()
    for key, value in list(event.items()):
        event[key] = _mask(key, value, secrets)
    return event


def _mask(key: str, value: Any, secrets: list[str]) -> Any:
    """Mask secrets in `value`, walking into lists and dicts (a URL can hide in a result)."""
    if isinstance(value, str):
        if any(part in key.lower() for part in SECRET_KEYS) and value.startswith("http"):
            return "***"
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {k: _mask(str(k), v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(key, v, secrets) for v in value]
    return value


class _CurrentStderr:
    """sys.stderr as it is when a line is written, not when logging was configured: an
    in-process CLI test swaps sys.stderr for a buffer it closes afterwards."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def readable_retry(_: Any, __: str, event: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    """`aws_retried` as a sentence: `AWS route53:ChangeResourceRecordSets: 3 attempts failed
    (Throttling, Throttling, 503), then succeeded after 1.2 s`."""
    if event.get("event") != "aws_retried":
        return event
    codes = ", ".join(str(c) for c in event.pop("codes", []))
    count = event.pop("failed_attempts", 0)
    event["event"] = (f"AWS {event.pop('operation', '?')}: {count} attempt"
                      f"{'' if count == 1 else 's'} failed ({codes}), then "
                      f"{event.pop('outcome', '?')} after {event.pop('seconds', '?')} s")
    return event


def configure_logging(verbose: int = 0, json_lines: bool = False) -> None:
    """`json_lines`: JSON lines (`--log-json`, the controller's default); otherwise lines for
    people, coloured only on a terminal."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    people: list[Any] = [readable_retry, structlog.dev.ConsoleRenderer(
        colors=sys.stderr.isatty(), pad_event_to=0)]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            *([structlog.processors.JSONRenderer()] if json_lines else people),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )
