"""Fault settings: latency, per-service throttling, random 5xx, and one service down in one
region (see fault_injector.py).

What a client sees is what AWS sends: throttling is HTTP 400 with the service's own throttling
code (`Throttling` for query/REST-XML services such as Route53, `ThrottlingException` for JSON
and CBOR ones, `RequestLimitExceeded` with 503 for EC2), and injected server errors are 503
`ServiceUnavailable` — so botocore's retry modes treat them exactly as they treat AWS's. A
service made `unavailable` in a region (`monitoring@us-east-1`: that region's CloudWatch API
down with it) answers every call there with that 503, as a regional API outage does.

The sandbox's own machinery (heartbeat writer, replicator, alarm evaluator, ECS scheduler) is
exempt: it marks its requests with INTERNAL_AGENT, so faults never distort the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drctl.core.errors import InvalidInput

INTERNAL_AGENT = "drctl-sandbox-internal"


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    throttle: dict[str, float] = field(default_factory=dict)  # service -> requests per second
    unavailable: tuple[str, ...] = ()  # SERVICE@REGION (signing names: monitoring, route53 …)

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise InvalidInput(f"error rate must be within 0..1, got {self.error_rate}")
        if not 0.0 <= self.latency_ms <= 60_000:
            raise InvalidInput(f"latency must be within 0..60000 ms, got {self.latency_ms}")
        for service, rate in self.throttle.items():
            if rate <= 0:
                raise InvalidInput(f"throttle rate for {service} must be > 0, got {rate}")
        for spec in self.unavailable:
            service, at, region = spec.partition("@")
            if not (service and at and region) or " " in spec:
                raise InvalidInput(f"unavailable {spec!r}: use SERVICE@REGION, e.g. "
                                   "monitoring@us-east-1 (CloudWatch's signing name)")

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> FaultSettings:
        unknown = set(body) - {"latency_ms", "error_rate", "throttle", "unavailable"}
        if unknown:
            raise InvalidInput(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        try:
            throttle = {str(k): float(v) for k, v in dict(body.get("throttle") or {}).items()}
            unavailable = tuple(str(s) for s in list(body.get("unavailable") or []))
            return cls(float(body.get("latency_ms") or 0), float(body.get("error_rate") or 0),
                       throttle, unavailable)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"bad fault settings: {exc}") from exc
