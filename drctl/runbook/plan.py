"""`--dry-run`: every step rendered with its resolved params, which ones would change things,
and none of those done. Read-only AWS calls do run (said so per step), so the templates of
later steps that read their outputs resolve; what still cannot resolve is kept as written,
with the runbook's file:line, the step, the name and why it is not known yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.errors import DrctlError
from drctl.runbook.actions.aws import AwsAssert, AwsCall, AwsWait
from drctl.runbook.model import Runbook, RunStep, StepBase
from drctl.runbook.params import resolve_params
from drctl.runbook.precheck import check_before_start
from drctl.runbook.select import outputs as select_outputs
from drctl.runbook.sequence import Walk, render_fields, render_step
from drctl.runbook.templates import Templates, Unresolved, written

HIDDEN = ("id", "action", "title")


@dataclass(frozen=True)
class PlannedStep:
    index: int
    id: str
    action: str
    title: str
    mutating: bool
    rendered: dict[str, Any]
    ran: bool  # a read-only call made during the dry run
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "action": self.action, "title": self.title,
                "mutating": self.mutating, "rendered": self.rendered, "ran_read_only": self.ran,
                "notes": list(self.notes)}


def dry_run(runbook: Runbook, given: dict[str, Any], aws: Aws,
            now: datetime) -> list[PlannedStep]:
    """The plan. InvalidInput for bad params, or what the params alone show wrong (as a
    real run would refuse them)."""
    values = resolve_params(runbook, given)
    check_before_start(runbook, values, now)
    planner = _Planner(runbook, Walk(values), aws)
    return [planner.plan(index, step) for index, step in enumerate(runbook.steps, start=1)]


@dataclass
class _Planner:
    runbook: Runbook
    walk: Walk
    aws: Aws
    templates: Templates = field(default_factory=Templates)
    why_not: dict[str, str] = field(default_factory=dict)  # step id: why it has no outputs

    def plan(self, index: int, step: RunStep) -> PlannedStep:
        context = self.walk.context()
        data, missing = render_fields(step.spec, self.templates, context)
        notes = [self._unknown(step, name, exc) for name, exc in missing]
        spec: StepBase | None = None
        if not missing:
            try:
                spec = render_step(step.spec, self.templates, context,
                                   where=f"{self.runbook.path}:{step.line}: ")
            except DrctlError as exc:
                notes.append(exc.message)
        if step.spec.skip_if:
            notes.append(self._skip_note(step.spec.skip_if, context))
        ran = isinstance(spec, AwsCall) and not spec.mutating
        read = ran and isinstance(spec, AwsCall) and self._read(spec, notes)
        if step.spec.mutating:
            notes.append("would change things: not done in a dry run")
        if not read and step.id not in self.why_not:
            self.why_not[step.id] = self._not_run(step, spec)
        shown = spec.model_dump(mode="json", by_alias=True, exclude_unset=True) \
            if spec is not None else data
        return PlannedStep(index, step.id, step.spec.action, step.spec.title,
                           step.spec.mutating, {k: v for k, v in shown.items()
                                                if k not in HIDDEN}, ran, tuple(notes))

    def _unknown(self, step: RunStep, name: str, exc: Unresolved) -> str:
        ref = exc.name
        why = self.why_not.get(ref[1], "") if ref[0] == "steps" and len(ref) > 1 else ""
        return (f"{self.runbook.path}:{step.line}: step {step.id} {name}: {written(ref)} is "
                f"not known in a dry run{': ' + why if why else ''}; shown as written")

    def _not_run(self, step: RunStep, spec: StepBase | None) -> str:
        if step.spec.mutating:
            return f"step {step.id} changes things, so it was not run; known when the run " \
                   "gets there"
        if spec is None and isinstance(step.spec, AwsCall):
            return f"step {step.id} could not be rendered, so its call was not made"
        if isinstance(step.spec, AwsCall):
            return f"step {step.id}'s read-only call failed{self._after_changes(step)}"
        return f"step {step.id} is a {step.spec.action} step: its outputs exist once it has run"

    def _after_changes(self, step: RunStep) -> str:
        """A read that fails in a dry run often reads what an earlier step would create."""
        skipped = [s.id for s in self.runbook.steps[:self.runbook.index(step.id)]
                   if s.spec.mutating]
        return f" (the dry run did not do {', '.join(skipped)} before it)" if skipped else ""

    def _read(self, spec: AwsCall, notes: list[str]) -> bool:
        """Make the read-only call; False when it failed (its outputs stay unknown)."""
        try:
            result = self.aws.api().call(spec.service, spec.api, spec.region, spec.args)
            self.walk.outputs[spec.id] = select_outputs(result, spec.outputs, spec.id)
        except DrctlError as exc:
            notes.append(f"read-only call ran and failed: {exc.message}")
            return False
        notes.append(f"read-only call ran: outputs {self.walk.outputs[spec.id] or '{}'}")
        if isinstance(spec, AwsAssert | AwsWait):
            notes.append(_condition_note(spec, result))
        return True

    def _skip_note(self, skip_if: str, context: dict[str, Any]) -> str:
        try:
            verdict = self.templates.truth(skip_if, context)
        except DrctlError:
            return f"skip_if {skip_if}: decided when the run gets there"
        return f"skip_if {skip_if}: {'true, it would be skipped' if verdict else 'false'}"


def _condition_note(spec: AwsAssert | AwsWait, result: Any) -> str:
    condition = spec.expect if isinstance(spec, AwsAssert) else spec.until
    holds, value = condition.holds(result)
    if holds:
        return f"{condition.describe()}: holds now"
    if isinstance(spec, AwsAssert):
        return f"{condition.describe()}: does not hold now (found {value!r}): the step would fail"
    return f"{condition.describe()}: not yet (found {value!r}): the run would wait for it"
