"""From a file to a typed Runbook, with every problem found as `file:line: message`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drctl.core.errors import InvalidInput
from drctl.runbook.actions.registry import action_model, unknown_action
from drctl.runbook.model import FrontMatter, Runbook, RunStep
from drctl.runbook.source import Part, Problem, Source, read_source
from drctl.runbook.yamlsrc import line_of

M = TypeVar("M", bound=BaseModel)


def parse_runbook(path: Path) -> tuple[Runbook | None, Source]:
    """The runbook (None when its front matter is unusable) and the source with every
    problem of the file's structure and types (lint adds the cross-step checks)."""
    source = read_source(path)
    meta = _front(source)
    steps = [step for part in source.blocks if (step := _step(source, part)) is not None]
    if meta is None:
        return None, source
    return Runbook(path, meta, steps, source.intro), source


def load_runbook(path: str | Path) -> Runbook:
    """A runbook that has no error (warnings allowed). InvalidInput with file:line otherwise."""
    from drctl.runbook.lint import lint_runbook  # the cross-step checks live with lint

    report = lint_runbook(Path(path))
    errors = [p for p in report.problems if p.severity == "error"]
    if errors or report.runbook is None:
        more = f" (and {len(errors) - 1} more: `drctl runbook lint {path}`)" \
            if len(errors) > 1 else ""
        first = f"{errors[0].location}: {errors[0].message}" if errors else f"{path}: not a runbook"
        raise InvalidInput(f"{first}{more}")
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
