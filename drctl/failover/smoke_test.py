"""Step 5, smoke_test: HTTP checks against the target region until all pass (or time out).

The time of the first full pass is the recovery time, the end of RTO. (The RPO was read
earlier, at the cut: see switch_dns.)
"""

from __future__ import annotations

from typing import Any

import httpx

from drctl.core.step import StepContext
from drctl.failover.base import FailoverStep
from drctl.failover.outputs import SmokePassed
from drctl.playbook.schema import SmokeCheck


class SmokeTest(FailoverStep):
    name = "smoke_test"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        smoke = self.spec.playbook.smoke_tests
        attempts = 0
        failures: list[str] = []
        endpoint = self.spec.endpoint

        def all_pass() -> bool:
            nonlocal attempts, failures
            attempts += 1
            failures = [f for f in (run_check(c, endpoint, self.deps.http)
                                    for c in smoke.checks) if f]
            if failures:
                ctx.report("; ".join(failures))
            return not failures

        ctx.wait_until(all_pass, timeout=smoke.timeout, interval=smoke.interval,
                       what=f"smoke tests to pass in {self.spec.target_region}")
        return SmokePassed(ctx.now(), attempts).to_output()


def run_check(check: SmokeCheck, endpoint: str, http: httpx.Client) -> str | None:
    """None when the check passes against `endpoint`, else why not."""
    url = check.url.replace("{endpoint}", endpoint.rstrip("/"))
    try:
        response = http.get(url, timeout=5.0, follow_redirects=True)
    except httpx.HTTPError as exc:
        return f"{check.name}: {type(exc).__name__}"
    if response.status_code != check.expect_status:
        return f"{check.name}: HTTP {response.status_code} (want {check.expect_status})"
    if check.contains and check.contains not in response.text:
        return f"{check.name}: body lacks {check.contains!r}"
    return None
