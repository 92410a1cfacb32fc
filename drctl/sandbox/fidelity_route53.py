"""Fidelity fix: a Route53 health check reports what its endpoint answers; moto's always pass.

AWS: `GetHealthCheckStatus` returns each Route53 checker's last observation of the endpoint:
`Success: HTTP Status Code 200, OK` when it answered 2xx/3xx in time, `Failure: ...`
otherwise (connection refused, a timeout, a 5xx). So a region whose endpoint is down shows
failing health checks -- what DNS failover, and drctl's outage signal (alarms unreadable
and health checks failing: drctl/controller/detect.py), act on.

moto: one fixed `Success` observation, whatever the endpoint does -- a regional outage never
shows in a health check.

The fix: each call probes the endpoint as a checker does (an HTTP GET of the check's path,
Route53's 4 s timeout) and reports that, from three checker regions. The sandbox's names (its
hosted zone) resolve to loopback, where its regional apps listen; a check on another name or
address keeps moto's answer (the sandbox cannot reach the internet). Tested in
tests/e2e/test_sandbox_health_checks.py.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53.responses import Route53

from drctl.sandbox.estate import ZONE_NAME

_ORIGINAL: dict[str, Any] = {}
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
CHECKERS = ("us-east-1", "us-west-1", "eu-west-1")
TIMEOUT = 4.0  # seconds: Route53's checkers wait this long for an HTTP answer


def get_health_check_status(self: Route53) -> ActionResult:
    check = self.backend.get_health_check(self._get_param("HealthCheckId"))
    url = probe_url(check)
    if url is None:
        return _ORIGINAL["get_health_check_status"](self)
    status = observe(url)
    return ActionResult({"HealthCheckObservations": [
        {"Region": region, "IPAddress": "127.0.0.1",
         "StatusReport": {"Status": status, "CheckedTime": utcnow()}}
        for region in CHECKERS]})


def probe_url(check: Any) -> str | None:
    """Where a checker would send its request, if the sandbox can reach it (None: not)."""
    host = check.ip_address or check.fqdn or ""
    if not (host.startswith("127.") or host == ZONE_NAME or host.endswith("." + ZONE_NAME)):
        return None
    scheme = "https" if str(check.type_).startswith("HTTPS") else "http"
    return f"{scheme}://127.0.0.1:{check.port}{check.resource_path or '/'}"


def observe(url: str) -> str:
    """One checker's report, in Route53's words."""
    try:
        with _DIRECT.open(url, timeout=TIMEOUT) as reply:
            code = reply.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except OSError as exc:
        return f"Failure: Connection failed. {exc}"
    if 200 <= code < 400:
        return f"Success: HTTP Status Code {code}, OK"
    return f"Failure: HTTP Status Code {code}."


def apply_route53_fixes() -> list[str]:
    """Patch moto's Route53 responses in this process. Idempotent."""
    if "get_health_check_status" not in _ORIGINAL:
        _ORIGINAL["get_health_check_status"] = Route53.get_health_check_status
        Route53.get_health_check_status = get_health_check_status  # type: ignore[method-assign]
    return ["route53_health_check_status"]
