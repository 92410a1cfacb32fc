"""The runbook's steps as one engine Step: ordering, skip_if, retry, on_failure and resume.

The engine owns the run's lifecycle (start, the end in one place, interruption, measurement);
this step walks the runbook inside it and journals each runbook step with the engine's own
vocabulary (`step_started`, `step_succeeded`, `step_failed`), so `runs show`, the timeline and
resume read one journal. Where the walk went after a tolerated failure (`on_failure: continue`
or `goto:<id>`) is journaled too (`runbook_continued`), so a resumed run retraces it.

Resume never repeats a succeeded step (runner.py decides, before resuming, whether a step
journaled as started but never as ended may run again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from drctl.core.errors import DrctlError, InvalidInput, NotConfirmed, StepFailed
from drctl.core.events import Event
from drctl.core.run import Run, StepRecord, StepStatus
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.runbook.actions.base import ActionEnv, CallTimedOut, Deadline
from drctl.runbook.model import TEMPLATED_DURATIONS, Runbook, RunStep, StepBase, seconds
from drctl.runbook.select import outputs as select_outputs
from drctl.runbook.templates import Templates, Unresolved

NAME = "runbook"
CONTINUED = "runbook_continued"
RETRY = "runbook_retry"
CALL = "runbook_call"


@dataclass
class Walk:
    """What a run of the runbook has: typed params, and the outputs of steps done so far."""

    params: dict[str, Any]
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        return {"params": self.params,
                "steps": {sid: {"outputs": out} for sid, out in self.outputs.items()}}


def render_fields(spec: StepBase, templates: Templates, context: dict[str, Any]
                  ) -> tuple[dict[str, Any], list[tuple[str, Unresolved]]]:
    """The step's fields with every template rendered that can be, and (field, Unresolved)
    for each one reading a name the context does not hold (kept as written)."""
    data = spec.model_dump(by_alias=True, exclude_unset=True)
    missing: list[tuple[str, Unresolved]] = []
    for name in (*spec.TEMPLATED, *TEMPLATED_DURATIONS):
        if name in data:
            found: list[Unresolved] = []
            data[name] = templates.render_partial(data[name], context, found)
            missing += [(name, exc) for exc in found]
    return data, missing


def render_step(spec: StepBase, templates: Templates, context: dict[str, Any],
                where: str = "") -> StepBase:
    """The step with its templated fields rendered (and checked again by its model).
    Unresolved said at `where` (the runbook's `file:line`) for a name the run lacks."""
    data, missing = render_fields(spec, templates, context)
    if missing:
        field_name, exc = missing[0]
        raise exc.at(f"{where}step {spec.id} {field_name}", why_missing(exc, context))
    try:
        return type(spec).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}step {spec.id}: {at} rendered {first['input']!r}: "
                           f"{first['msg']}") from None


def why_missing(exc: Unresolved, context: dict[str, Any]) -> str:
    """Why a run has no such output (lint made sure the runbook declares it)."""
    name = exc.name
    if name[0] != "steps" or len(name) < 2:
        return ""
    outputs = context.get("steps", {}).get(name[1], {}).get("outputs")
    if outputs is None:
        return f"step {name[1]} has not run"
    if outputs == {}:
        return (f"step {name[1]} failed and the run went on without its outputs "
                "(`| default(…)` gives a value for that case)")
    return f"step {name[1]} has no output {name[3] if len(name) > 3 else ''}".rstrip()


class RunbookSequence:
    name = NAME
    policy = StepPolicy(spans_resumes=True)  # `runs show`: the whole run, resumes included

    def __init__(self, runbook: Runbook, walk: Walk,
                 make_env: Callable[[StepContext, RunStep, Deadline], ActionEnv]) -> None:
        self.runbook, self.walk, self.make_env = runbook, walk, make_env
        self.templates = Templates()

    def plan(self, ctx: StepContext) -> list[Change]:
        return [Change(s.id, s.spec.action, s.spec.describe()) for s in self.runbook.steps
                if s.spec.mutating]

    def verify(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        assert ctx.journal is not None, "a runbook journals each of its steps"
        events = ctx.journal.events()
        run = Run.from_events(events)
        jumps = {e.step: e.data.get("next") for e in events if e.type == CONTINUED}
        steps, index = self.runbook.steps, 0
        while index < len(steps):
            step = steps[index]
            record = next((r for r in run.steps if r.name == step.id), StepRecord(step.id))
            if record.status is StepStatus.SUCCEEDED:
                self.walk.outputs[step.id] = dict(record.output)
                index += 1
            elif record.status is StepStatus.FAILED and step.id in jumps:
                self.walk.outputs[step.id] = {}  # failed and tolerated: no outputs
                index = self._index_of(jumps[step.id])
            else:
                ctx.interrupt.check()
                index = self._run(ctx, step, index)
        return {"steps": len(steps)}

    def _index_of(self, step_id: str | None) -> int:
        return len(self.runbook.steps) if step_id is None else self.runbook.index(step_id)

    def _run(self, outer: StepContext, step: RunStep, index: int) -> int:
        journal = outer.journal
        assert journal is not None
        # Progress ("waiting for …") is told as this step's, not the whole runbook's.
        ctx = replace(outer, report=lambda message: journal.emit(
            "step_progress", step=step.id, message=message))
        total = len(self.runbook.steps)
        journal.emit("step_started", step=step.id, index=index + 1, total=total, attempt=1)
        try:
            output, skipped = self._outcome(ctx, step)
        except DrctlError as exc:
            journal.emit("step_failed", step=step.id, error=str(exc),
                         error_type=type(exc).__name__)
            return self._after_failure(ctx, step, index, exc)
        self.walk.outputs[step.id] = output
        journal.emit("step_succeeded", step=step.id, output=output,
                     skipped_apply=skipped is not None, skip_reason=skipped)
        return index + 1

    def _outcome(self, ctx: StepContext, step: RunStep) -> tuple[dict[str, Any], str | None]:
        context = self.walk.context()
        where = f"{self.runbook.path}:{step.line}: "
        if step.spec.skip_if and self._skip(step, context, where):
            return {}, f"skip_if {step.spec.skip_if} is true"
        spec = render_step(step.spec, self.templates, context, where=where)
        result = self._attempts(ctx, step, spec)
        declared = select_outputs(result, spec.outputs, step.id)
        builtin = {k: result[k] for k in spec.BUILTIN_OUTPUTS
                   if isinstance(result, dict) and k in result}
        return {**builtin, **declared}, None

    def _skip(self, step: RunStep, context: dict[str, Any], where: str) -> bool:
        try:
            return self.templates.truth(step.spec.skip_if or "", context)
        except Unresolved as exc:
            raise exc.at(f"{where}step {step.id} skip_if", why_missing(exc, context)) \
                from None

    def _attempts(self, ctx: StepContext, step: RunStep, spec: StepBase) -> Any:
        """Every attempt within the step's one timeout (it bounds the retries too)."""
        assert ctx.journal is not None
        timeout = None if spec.timeout is None else seconds(spec.timeout)
        deadline = Deadline.start(ctx.clock, timeout)
        env = self.make_env(ctx, step, deadline)
        attempts, delay = spec.retry.attempts, spec.retry.delay
        for attempt in range(1, attempts + 1):
            try:
                return spec.execute(env)
            except (NotConfirmed, CallTimedOut):
                raise  # a person said no, or a change may have happened: never retried
            except DrctlError as exc:
                if attempt == attempts:
                    raise
                if deadline.at is not None and deadline.left(0.0) <= delay:
                    raise StepFailed(f"{exc} (no time for attempt {attempt + 1} of {attempts} "
                                     f"within the step's timeout {deadline.describe()})") \
                        from None
                ctx.journal.emit(RETRY, step=step.id, attempt=attempt, error=str(exc),
                                 delay=delay)
                ctx.clock.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _after_failure(self, ctx: StepContext, step: RunStep, index: int,
                       exc: DrctlError) -> int:
        assert ctx.journal is not None
        if step.spec.on_failure == "abort" or isinstance(exc, NotConfirmed):
            raise exc
        self.walk.outputs[step.id] = {}  # later templates may `| default(…)` its outputs
        target = index + 1 if step.spec.goto is None else self.runbook.index(step.spec.goto)
        following = self.runbook.steps[target].id if target < len(self.runbook.steps) else None
        ctx.journal.emit(CONTINUED, step=step.id, next=following, on_failure=step.spec.on_failure)
        return target


def continued(events: list[Event]) -> dict[str, str | None]:
    return {e.step or "": e.data.get("next") for e in events if e.type == CONTINUED}
