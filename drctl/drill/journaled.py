"""A drill's state, journaled as it changes: its figures are recomputed from the journal.

Each drill step is wrapped (`Journaled`): when it ends -- succeeded, failed or stopped -- the
fields of the drill's state (drctl/drill/resources.py) it changed are journaled as one
`step_facts` event. `state_from_journal` folds them back; the drill's measurement is made from
that, so `runs show` and a re-measurement read the same figures the journal holds, whatever
this process remembers.
"""

from __future__ import annotations

from typing import Any

from drctl.core.clock import iso
from drctl.core.run import Run
from drctl.core.step import Change, Step, StepContext, StepPolicy
from drctl.drill.resources import DrillState


class Journaled:
    """`step`, journaling what it changed of `state` (`seen`: what is journaled already,
    shared by every step of one drill)."""

    def __init__(self, step: Step, state: DrillState, seen: dict[str, Any]) -> None:
        self.step, self.state, self.seen = step, state, seen
        self.name: str = step.name
        self.policy: StepPolicy = step.policy

    def plan(self, ctx: StepContext) -> list[Change]:
        return self.step.plan(ctx)

    def verify(self, ctx: StepContext) -> bool:
        return self.step.verify(ctx)

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        try:
            return self.step.apply(ctx)
        finally:  # a failed or stopped step's facts count too (a validation that failed)
            self._journal(ctx)

    def _journal(self, ctx: StepContext) -> None:
        now = self.state.to_facts()
        changed = {k: v for k, v in now.items() if self.seen.get(k, None) != v}
        if changed and ctx.journal is not None:
            ctx.journal.emit("step_facts", step=self.step.name, facts=changed)
            self.seen.update(changed)


def journaled(steps: list[Step], state: DrillState) -> list[Step]:
    seen: dict[str, Any] = {}
    return [Journaled(step, state, seen) for step in steps]


def state_from_journal(run: Run) -> DrillState:
    """The drill's state as its steps journaled it, in order (started when the run started, if
    no step got to journal anything)."""
    facts: dict[str, Any] = {"started_at": iso(run.started_at)}
    for record in run.steps:
        facts.update(record.facts)
    return DrillState.from_facts(facts)
