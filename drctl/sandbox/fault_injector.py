"""The fault injector: the interceptor in front of moto that answers with AWS's own errors.

Settings and their meaning are in faults.py. Throttling is HTTP 400 with the service's own code,
injected server errors 503 ServiceUnavailable, in the request's protocol (query/REST-XML, JSON,
CBOR, EC2) — so botocore's retry modes treat them as they treat AWS's.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import asdict
from typing import Any

from werkzeug.wrappers import Request, Response

from drctl.sandbox.control_client import CONTROL_PREFIX
from drctl.sandbox.faults import INTERNAL_AGENT, FaultSettings

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class _Bucket:
    """Token bucket: `rate` requests a second, bursts up to max(1, rate)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.capacity = rate, max(1.0, rate)
        self.tokens, self.stamp = self.capacity, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class FaultInjector:
    """The interceptor: answers with an AWS error when a fault fires, else lets moto answer."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._buckets: dict[str, _Bucket] = {}
        self._random = random.Random(seed)
        self.counts = {"throttled": 0, "errors": 0, "delayed": 0, "unavailable": 0}

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._buckets = {svc: _Bucket(rate) for svc, rate in settings.throttle.items()}

    def document(self) -> dict[str, Any]:
        with self._lock:
            return {**asdict(self._settings), "injected": dict(self.counts)}

    def __call__(self, request: Request) -> Response | None:
        if request.path.startswith(CONTROL_PREFIX):
            return None
        if INTERNAL_AGENT in request.headers.get("User-Agent", ""):
            return None
        region, service = _scope(request)
        with self._lock:
            settings = self._settings
            down = f"{service}@{region}" in settings.unavailable
            bucket = self._buckets.get(service)
            throttled = not down and bucket is not None and not bucket.take()
            failed = down or (not throttled and self._random.random() < settings.error_rate)
            self.counts["unavailable"] += down
            self.counts["throttled"] += throttled
            self.counts["errors"] += failed and not down
            self.counts["delayed"] += settings.latency_ms > 0
        if settings.latency_ms:
            time.sleep(settings.latency_ms / 1000.0)
        if throttled:
            return aws_error(request, service, throttle=True)
        if failed:
            return aws_error(request, service, throttle=False)
        return None


def _scope(request: Request) -> tuple[str, str]:
    """(region, service) the request is signed for."""
    match = _SCOPE.search(request.headers.get("Authorization", ""))
    return (match.group(1), match.group(2)) if match else ("", "")


def aws_error(request: Request, service: str, *, throttle: bool) -> Response:
    """The error response AWS itself would send, in the request's protocol."""
    if service == "ec2":
        code = "RequestLimitExceeded" if throttle else "Unavailable"
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>injected by the "
                f"drctl sandbox</Message></Error></Errors><RequestID>sandbox</RequestID>"
                "</Response>")
        return Response(body, status=503, mimetype="text/xml")
    if service == "s3":
        # S3's own shape: a bare <Error> root, and 503 SlowDown when it throttles.
        code = "SlowDown" if throttle else "ServiceUnavailable"
        body = (f"<Error><Code>{code}</Code><Message>injected by the drctl sandbox</Message>"
                "<RequestId>sandbox</RequestId></Error>")
        return Response(body, status=503, mimetype="application/xml")
    status = 400 if throttle else 503
    if "cbor" in request.headers.get("Content-Type", "") or request.path.startswith("/service/"):
        code = "ThrottlingException" if throttle else "ServiceUnavailable"
        return Response(_cbor_map({"__type": code, "message": "injected by the drctl sandbox"}),
                        status=status, mimetype="application/cbor",
                        headers={"smithy-protocol": "rpc-v2-cbor"})
    if "X-Amz-Target" in request.headers:
        code = "ThrottlingException" if throttle else "ServiceUnavailable"
        body = f'{{"__type": "{code}", "message": "injected by the drctl sandbox"}}'
        return Response(body, status=status, mimetype="application/x-amz-json-1.0",
                        headers={"x-amzn-ErrorType": code})
    code = "Throttling" if throttle else "ServiceUnavailable"
    body = (f"<ErrorResponse><Error><Type>{'Sender' if throttle else 'Receiver'}</Type>"
            f"<Code>{code}</Code><Message>{'Rate exceeded' if throttle else 'injected'}"
            "</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>")
    return Response(body, status=status, mimetype="text/xml")


def _cbor_map(items: dict[str, str]) -> bytes:
    """A CBOR map of short text strings: all an error body needs (RFC 8949 §3.1)."""
    out = bytearray([0xA0 | len(items)])
    for text in (part for pair in items.items() for part in pair):
        data = text.encode()
        out += bytes([0x60 | len(data)]) if len(data) < 24 else bytes([0x78, len(data)])
        out += data
    return bytes(out)
