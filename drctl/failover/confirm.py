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
from drctl.failover.preflight import Check, preflight


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
        if blocking:
            raise Blocked("pre-flight failed: " + "; ".join(f"{c.name}: {c.detail}"
                                                            for c in blocking),
                          hint=_way_out(blocking))
        overridden = [c for c in checks if not c.ok and c.severity == "normal"]
        warnings = [c.detail for c in checks if not c.ok and c.severity == "advisory"]
        return {"preflight": [c.to_dict() for c in checks], "forced": bool(overridden),
                "preflight_warnings": warnings}

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


def _way_out(blocking: list[Check]) -> str:
    hard = [c.hint for c in blocking if c.severity == "hard" and c.hint]
    if hard:
        return "; ".join(hard) + " (--force does not override this)"
    return "fix the target region, or pass --force to fail over anyway"
