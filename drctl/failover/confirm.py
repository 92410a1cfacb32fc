"""Step 2, confirm: pre-flight checks, then a person says yes.

Prompt mode: the operator types the target region (`--yes` skips; no TTY and no --yes stops
with exit 3). Approval mode: a second person approves from another shell (`drctl approve`).
"""

from __future__ import annotations

from typing import Any

from drctl.core.clock import iso
from drctl.core.errors import Blocked, NotConfirmed
from drctl.core.step import StepContext
from drctl.failover.approval import current_person, wait_for_approval
from drctl.failover.base import FailoverStep
from drctl.failover.catch_up import catch_up, wait_hint, wait_offered
from drctl.failover.preflight import Check, only_lag_blocks, preflight
from drctl.failover.spec import FailoverSpec


class Confirm(FailoverStep):
    name = "confirm"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        checks = self._preflight(ctx)
        confirmation = self.spec.playbook.confirmation
        if confirmation.mode == "approval" or self.spec.options.approval:
            channels, _ = self.deps.channels(self.spec.target_region)
            executor = self.deps.executor or current_person(self.deps.aws)
            decided = wait_for_approval(ctx, executor, confirmation.timeout, channels,
                                        self.spec.target_region)
            return {**checks, **decided}
        return {**checks, "confirmed_by": self._operator(), "confirmed_at": iso(ctx.now())}

    def _preflight(self, ctx: StepContext) -> dict[str, Any]:
        checks = preflight(self.spec, self.deps)
        for check in checks:
            mark = "ok" if check.ok else ("WARNING" if check.severity == "advisory" else "FAILED")
            ctx.report(f"pre-flight {check.name}: {mark} ({check.detail})")
        blocking = [c for c in checks if c.blocks(self.spec.options.force)]
        waited: dict[str, Any] = {}
        if only_lag_blocks(blocking):  # a planned switch: the old region is up and writing
            wait = wait_offered(self.spec, self.deps, blocking)
            if wait > 0:
                seconds, fresh = catch_up(ctx, self.spec, self.deps, wait)
                by_name = {c.name: c for c in fresh}
                checks = [by_name.get(c.name, c) for c in checks]
                blocking, waited = [], {"waited_for_replication_seconds": round(seconds, 3)}
        if blocking:
            raise Blocked("pre-flight failed: " + "; ".join(f"{c.name}: {c.detail}"
                                                            for c in blocking),
                          hint=_way_out(blocking, self.spec))
        overridden = [c for c in checks if not c.ok and c.severity == "normal"]
        warnings = [c.detail for c in checks if not c.ok and c.severity == "advisory"]
        return {"preflight": [c.to_dict() for c in checks], "forced": bool(overridden),
                "preflight_warnings": warnings, **waited}

    def _operator(self) -> str:
        target = self.spec.target_region
        if self.spec.playbook.confirmation.mode == "none":
            return "playbook (confirmation: none)"
        if self.spec.options.yes:
            return "--yes"
        if not self.deps.operator.interactive:
            raise NotConfirmed(
                "confirmation needs a person and there is no TTY; nothing was changed",
                hint="run it in a terminal, or pass --yes",
            )
        answer = self.deps.operator.ask(f"Type the target region ({target}) to fail over to it: ")
        if answer != target:
            raise NotConfirmed(f"confirmation did not match {target!r}; nothing was changed")
        return "operator (typed the target region)"


def _way_out(blocking: list[Check], spec: FailoverSpec) -> str:
    hard = [c.hint for c in blocking if c.severity == "hard" and c.hint]
    if hard:
        return "; ".join(hard) + " (--force does not override this)"
    if only_lag_blocks(blocking):
        return wait_hint(spec, spec.playbook.confirmation.timeout)
    hints = list(dict.fromkeys(c.hint for c in blocking if c.hint))
    if hints:  # the checks' own ways out (a missing secret: the command that replicates it)
        return "; ".join(hints) + "; or pass --force to fail over anyway"
    return "fix the target region, or pass --force to fail over anyway"
