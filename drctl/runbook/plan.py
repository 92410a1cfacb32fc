"""`--dry-run`: every step rendered with its resolved params, which ones would change things,
and none of those done. Read-only AWS calls do run (said so per step), so the templates of
later steps that read their outputs resolve; what still cannot resolve is shown as such."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.errors import DrctlError
from drctl.runbook.actions.aws import AwsCall
from drctl.runbook.model import Runbook, RunStep, StepBase
from drctl.runbook.params import resolve_params
from drctl.runbook.select import outputs as select_outputs
from drctl.runbook.sequence import Walk, render_step
from drctl.runbook.templates import Templates


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


def dry_run(runbook: Runbook, given: dict[str, Any], aws: Aws) -> list[PlannedStep]:
    """The plan. InvalidInput for bad params (as a real run would refuse them)."""
    walk = Walk(resolve_params(runbook, given))
    templates = Templates()
    return [_plan(index, step, walk, templates, aws)
            for index, step in enumerate(runbook.steps, start=1)]


def _plan(index: int, step: RunStep, walk: Walk, templates: Templates, aws: Aws) -> PlannedStep:
    notes: list[str] = []
    context = walk.context()
    spec: StepBase = step.spec
    try:
        spec = render_step(step.spec, templates, context)
        resolved = True
    except DrctlError as exc:
        resolved = False
        notes.append(f"not resolvable without running earlier steps: {exc.message}")
    if step.spec.skip_if:
        notes.append(_skip_note(step.spec.skip_if, templates, context))
    ran = False
    if resolved and isinstance(spec, AwsCall) and not spec.mutating:
        ran = _read(spec, walk, aws, notes)
    elif spec.mutating:
        notes.append("would change things: not done in a dry run")
    return PlannedStep(index, step.id, spec.action, spec.title, spec.mutating,
                       spec.model_dump(mode="json", by_alias=True, exclude_unset=True,
                                       exclude={"id", "action", "title"}), ran, tuple(notes))


def _read(spec: AwsCall, walk: Walk, aws: Aws, notes: list[str]) -> bool:
    try:
        result = aws.api().call(spec.service, spec.api, spec.region, spec.args)
        walk.outputs[spec.id] = select_outputs(result, spec.outputs, spec.id)
    except DrctlError as exc:
        notes.append(f"read-only call ran and failed: {exc.message}")
        return True
    notes.append(f"read-only call ran: outputs {walk.outputs[spec.id] or '{}'}")
    return True


def _skip_note(skip_if: str, templates: Templates, context: dict[str, Any]) -> str:
    try:
        verdict = templates.truth(skip_if, context)
    except DrctlError:
        return f"skip_if {skip_if}: decided when the run gets there"
    return f"skip_if {skip_if}: {'true, it would be skipped' if verdict else 'false'}"
