"""One log record per retry burst, not one per attempt.

botocore retries a throttled or failing call up to `max_attempts` times. A record per attempt
drowns the operator in noise when a service is struggling (27 lines when the sandbox went
away), so the failed attempts of one API call are collected in the call's own request context
and logged once, when the call ends: how many attempts failed, with which codes, and whether
the call then succeeded or gave up. Each attempt is still a debug record (`-vv`).

A plain 4xx answer that is not retried (a 404 while probing for a replica to re-create, a
validation error) is no burst: it becomes a drctl error with its own message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger("drctl.aws")

_KEY = "drctl_retry_burst"


@dataclass
class Burst:
    """The failed attempts of one API call so far."""

    operation: str
    began: float = field(default_factory=time.monotonic)
    codes: list[str] = field(default_factory=list)

    def record(self, outcome: str) -> dict[str, Any]:
        return {"operation": self.operation, "failed_attempts": len(self.codes),
                "codes": list(self.codes), "outcome": outcome,
                "seconds": round(time.monotonic() - self.began, 3)}


def register(client: Any) -> None:
    """Watch `client`'s calls: attempts through needs-retry, the end through after-call."""
    events = client.meta.events
    events.register("needs-retry.*", on_attempt)
    events.register("after-call.*", on_call_end)
    events.register("after-call-error.*", on_call_error)


def on_attempt(**kwargs: Any) -> None:
    """An attempt was answered (or failed to connect): a retryable failure joins the burst."""
    response, caught = kwargs.get("response"), kwargs.get("caught_exception")
    status = response[0].status_code if response else None
    if caught is None and (status is None or status < 400):
        return
    code = (response[1].get("Error", {}).get("Code") if response else None) or \
        type(caught).__name__
    operation = getattr(kwargs.get("operation"), "name", "?")
    log.debug("aws_attempt_failed", operation=operation, attempt=kwargs.get("attempts"),
              status=status, code=code)
    if not retryable(status, code, caught):
        return
    context = (kwargs.get("request_dict") or {}).get("context")
    if isinstance(context, dict):
        context.setdefault(_KEY, Burst(_qualified(kwargs.get("operation"))))
        context[_KEY].codes.append(str(code))


def retryable(status: int | None, code: object, caught: object) -> bool:
    return caught is not None or status in (429, None) or (status or 0) >= 500 or \
        "Throttl" in str(code)


def on_call_end(**kwargs: Any) -> None:
    burst = _take(kwargs.get("context"))
    if burst is None:
        return
    http = kwargs.get("http_response")
    ok = http is not None and http.status_code < 300
    code = ((kwargs.get("parsed") or {}).get("Error") or {}).get("Code")
    _log(burst, "succeeded" if ok else f"gave up ({code or getattr(http, 'status_code', '?')})")


def on_call_error(**kwargs: Any) -> None:
    burst = _take(kwargs.get("context"))
    if burst is not None:
        _log(burst, f"gave up ({type(kwargs.get('exception')).__name__})")


def _take(context: Any) -> Burst | None:
    return context.pop(_KEY, None) if isinstance(context, dict) else None


def _log(burst: Burst, outcome: str) -> None:
    # A warning even when the call then succeeded: the service is struggling, and the time
    # the retries cost is part of the run's timings.
    log.warning("aws_retried", **burst.record(outcome))


def _qualified(operation: Any) -> str:
    """`route53:ChangeResourceRecordSets`: the words IAM and CloudTrail use."""
    model = getattr(operation, "service_model", None)
    name = getattr(operation, "name", "?")
    return f"{model.signing_name}:{name}" if model is not None else name
