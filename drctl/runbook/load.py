"""From a file to a typed Runbook, with every problem found as `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drctl.core.errors import InvalidInput
from drctl.runbook.actions.registry import action_model, unknown_action
from drctl.runbook.model import FrontMatter, Runbook, RunStep, StepBase
from drctl.runbook.source import Part, Problem, Source, read_source
from drctl.runbook.yamlsrc import line_of

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Block:
    """One step block as written, valid or not (`step` is None when it has errors of its own):
    lint's cross-step checks see every block, so one error never hides another."""

    line: int  # 1-based, the block's first line
    raw: dict[str, Any]
    step: RunStep | None

    @property
    def id(self) -> str | None:
        value = self.raw.get("id")
        return value if isinstance(value, str) else None

    @property
    def model(self) -> type[StepBase] | None:
        return action_model(self.raw.get("action"))

    def outputs(self) -> set[str]:
        """The outputs later templates may read (declared, and the action's own)."""
        if self.step is not None:
            spec = self.step.spec
            return set(spec.outputs) | set(spec.BUILTIN_OUTPUTS)
        declared = self.raw.get("outputs")
        model = self.model
        return {str(k) for k in (declared if isinstance(declared, dict) else {})} | \
            set(model.BUILTIN_OUTPUTS if model else ())


@dataclass(frozen=True)
class Parsed:
    runbook: Runbook | None  # None when the front matter is unusable
    source: Source
    blocks: list[Block]


def parse_runbook(path: Path) -> Parsed:
    """The runbook, every block as written, and the source with every problem of the file's
    structure and types (lint adds the cross-step checks)."""
    source = read_source(path)
    meta = _front(source)
    blocks = [_block(source, part) for part in source.blocks]
    steps = [b.step for b in blocks if b.step is not None]
    runbook = None if meta is None else Runbook(path, meta, steps, source.intro)
    return Parsed(runbook, source, blocks)


def _block(source: Source, part: Part) -> Block:
    line = part.offset + line_of(part.root, ()) + 1
    raw = dict(part.data) if isinstance(part.data, dict) else {}
    return Block(line, raw, _step(source, part))


def load_runbook(path: str | Path) -> Runbook:
    """A runbook that has no error (warnings allowed). InvalidInput with file:line otherwise."""
    from drctl.runbook.lint import lint_runbook  # the cross-step checks live with lint

    report = lint_runbook(Path(path))
    errors = [p for p in report.problems if p.severity == "error"]
    if errors or report.runbook is None:
        more = f"{len(errors) - 1} more problem(s): `drctl runbook lint {path}`" \
            if len(errors) > 1 else None
        first = f"{errors[0].location}: {errors[0].message}" if errors else f"{path}: not a runbook"
        raise InvalidInput(first, hint=more)
    return report.runbook


def _front(source: Source) -> FrontMatter | None:
    part = source.front
    if part is None:
        return None
    if not isinstance(part.data, dict):
        source.problems.append(Problem(source.where(part.offset), "front matter must be a "
                                       "YAML mapping (id, title, params …)"))
        return None
    return _validate(source, part, FrontMatter, part.data)


def _step(source: Source, part: Part) -> RunStep | None:
    where = source.where(part.offset + line_of(part.root, ()))
    if not isinstance(part.data, dict):
        source.problems.append(Problem(where, "a step is a YAML mapping (id, action, …)"))
        return None
    model = action_model(part.data.get("action"))
    if model is None:
        line = source.where(part.offset + line_of(part.root, ("action",)))
        message = "a step needs `action:`" if "action" not in part.data \
            else unknown_action(part.data["action"])
        source.problems.append(Problem(line, message))
        return None
    spec = _validate(source, part, model, part.data)
    if spec is None:
        return None
    return RunStep(spec, part.offset + line_of(part.root, ()) + 1, part.prose, dict(part.data))


def _validate(source: Source, part: Part, model: type[M], data: dict[str, Any]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            line = source.where(part.offset + line_of(part.root, loc))
            field = ".".join(str(p) for p in loc) or "(step)"
            source.problems.append(Problem(line, f"{field}: {_message(error)}"))
        return None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")
