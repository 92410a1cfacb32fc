"""Load a playbook from YAML, reporting every problem as `file:line: message`, all at once."""

from __future__ import annotations

import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from drctl.core.errors import PlaybookError
from drctl.playbook.schema import PLACEHOLDERS, Playbook
from drctl.playbook.yaml_nodes import Builder, NodeProblem, node_at

Problem = tuple[int | None, str]  # (1-based line or None, message)


def load_playbook(path: str | Path, env: dict[str, str] | None = None) -> Playbook:
    """Parse, interpolate `${VAR:-default}` and validate. Raises PlaybookError naming every
    problem found (duplicate keys, unknown keys, types, values), each with its file:line."""
    path = Path(path)
    root = _compose(_read(path), path)
    builder = Builder(dict(os.environ) if env is None else env, PLACEHOLDERS)
    try:
        data = builder.build(root)
    except NodeProblem as exc:
        raise PlaybookError(exc.message, location=f"{path}:{exc.line}") from None
    problems: list[Problem] = [(p.line, p.message) for p in builder.problems]
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        problems += _schema_problems(exc, root)
        playbook = None
    if problems or playbook is None:
        raise _error(path, problems)
    return playbook


def locate(path: str | Path, loc: tuple[Any, ...]) -> str:
    """`file:line` of the playbook entry at `loc` (a pydantic-style path), best effort."""
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return str(path)
    node = node_at(root, loc) if root is not None else None
    return f"{path}:{node.start_mark.line + 1}" if node else str(path)


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(f"cannot read playbook: {exc.strerror}", location=str(path)) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlaybookError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the playbook "
                            "as UTF-8", location=f"{path}:{line}") from None


def _compose(text: str, path: Path) -> yaml.Node:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", exc)
        raise PlaybookError(f"not valid YAML: {problem}", location=line) from None
    if not isinstance(root, yaml.MappingNode):
        raise PlaybookError("a playbook is a YAML mapping", location=f"{path}:1")
    return root


def _error(path: Path, problems: list[Problem]) -> PlaybookError:
    ordered = sorted(problems, key=lambda p: p[0] or 0)
    lines = [f"{path}:{line}: {msg}" if line else f"{path}: {msg}" for line, msg in ordered]
    first_line, first_msg = ordered[0]
    location = f"{path}:{first_line}" if first_line else str(path)
    error = PlaybookError("\n".join([first_msg, *lines[1:]]), location=location)
    error.problems = lines
    return error


def _schema_problems(exc: ValidationError, root: yaml.Node) -> list[Problem]:
    errors = exc.errors()
    unknown = {tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"}
    out: list[Problem] = []
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and _misspelt(loc, unknown):
            continue  # "unknown key X (did you mean Y?)" says it better
        node = node_at(root, loc)
        field = ".".join(str(part) for part in loc) or "(top level)"
        out.append((node.start_mark.line + 1 if node else None,
                    f"{field}: {_message(error, loc)}"))
    return out


def _misspelt(missing: tuple[Any, ...], unknown: set[tuple[Any, ...]]) -> bool:
    siblings = [u[-1] for u in unknown if u[:-1] == missing[:-1]]
    return bool(difflib.get_close_matches(str(missing[-1]), [str(s) for s in siblings], n=1))


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    if error["type"] == "extra_forbidden":
        known = _fields_at(Playbook, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return "unknown key" + (f" (did you mean {close[0]!r}?)" if close else
                                f" (known: {', '.join(known)})" if known else "")
    if error["type"] == "missing":
        return "required key is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The keys the schema accepts at `loc` (walking models, lists, dicts and optionals)."""
    kind: Any = model
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(str(part))
            if field is None:
                return []
            kind = field.annotation
        elif typing.get_origin(kind) in (list, dict):
            kind = typing.get_args(kind)[-1]
        else:
            return []
    kind = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return list(kind.model_fields)
    return []


def _unwrap(kind: Any) -> Any:
    """`X | None` -> X; Annotated[X, ...] -> X."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        kind = args[0] if len(args) == 1 else kind
    if typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    return kind
