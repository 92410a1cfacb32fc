"""Step 2, confirm: a person says yes by typing the target region."""

from __future__ import annotations

from typing import Any

from drctl.core.clock import iso
from drctl.core.errors import NotConfirmed
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover.spec import FailoverDeps, FailoverSpec


class Confirm:
    name = "confirm"
    policy = StepPolicy()

    def __init__(self, spec: FailoverSpec, deps: FailoverDeps) -> None:
        self.spec, self.deps = spec, deps

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        target = self.spec.target_region
        mode = self.spec.playbook.confirmation.mode
        if mode == "none":
            by = "playbook (confirmation: none)"
        elif self.spec.options.yes:
            by = "--yes"
        elif not self.deps.operator.interactive:
            raise NotConfirmed(
                "confirmation needs a person and there is no TTY; nothing was changed",
                hint="run it in a terminal, or pass --yes",
            )
        else:
            answer = self.deps.operator.ask(
                f"Type the target region ({target}) to fail over to it: "
            )
            if answer != target:
                raise NotConfirmed(f"confirmation did not match {target!r}; nothing was changed")
            by = "operator (typed the target region)"
        return {"confirmed_by": by, "confirmed_at": iso(ctx.now())}
