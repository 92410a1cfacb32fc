"""Step 5, smoke_test: HTTP checks against the target region until all pass (or time out).

The time of the first full pass is the recovery time, the end of RTO; the RPO of every data
store is read at that same moment — the data the recovered region serves from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from drctl.core.clock import iso, parse_iso
from drctl.core.step import StepContext
from drctl.failover.base import FailoverStep
from drctl.failover.rpo_stores import notes_of, read_stores, worst
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
            failures = [f for f in (run_check(c, endpoint) for c in smoke.checks) if f]
            if failures:
                ctx.report("; ".join(failures))
            return not failures

        ctx.wait_until(all_pass, timeout=smoke.timeout, interval=smoke.interval,
                       what=f"smoke tests to pass in {self.spec.target_region}")
        passed_at = ctx.now()
        stores = read_stores(
            self.spec.playbook.rpo, self.deps.aws, self.spec.failed_region,
            self.spec.target_region, self._incident_start(ctx, passed_at), passed_at,
            self.spec.replica,
        )
        rpo = worst(stores)
        return {
            "smoke_passed_at": iso(passed_at),
            "smoke_attempts": attempts,
            "rpo": rpo.to_dict() if rpo else None,
            "rpo_stores": [store.to_dict() for store in stores],
            "rpo_notes": notes_of(stores),
        }

    @staticmethod
    def _incident_start(ctx: StepContext, default: datetime) -> datetime:
        text = ctx.facts.get("incident_start")
        return parse_iso(text) if text else default


def run_check(check: SmokeCheck, endpoint: str) -> str | None:
    """None when the check passes against `endpoint`, else why not."""
    url = check.url.replace("{endpoint}", endpoint.rstrip("/"))
    try:
        response = httpx.get(url, timeout=5.0, follow_redirects=True)
    except httpx.HTTPError as exc:
        return f"{check.name}: {type(exc).__name__}"
    if response.status_code != check.expect_status:
        return f"{check.name}: HTTP {response.status_code} (want {check.expect_status})"
    if check.contains and check.contains not in response.text:
        return f"{check.name}: body lacks {check.contains!r}"
    return None
