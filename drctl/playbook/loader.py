"""Load a playbook from YAML, reporting every problem as `file:line: message`."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from drctl.core.errors import PlaybookError
from drctl.playbook.schema import Playbook

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_playbook(path: str | Path, env: dict[str, str] | None = None) -> Playbook:
    """Parse, interpolate `${VAR:-default}` and validate. Raises PlaybookError with file:line."""
    path = Path(path)
    env = dict(os.environ) if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError(f"cannot read playbook: {exc.strerror}", location=str(path)) from exc
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", exc)
        raise PlaybookError(f"not valid YAML: {problem}", location=line) from exc
    if not isinstance(root, yaml.MappingNode):
        raise PlaybookError("a playbook is a YAML mapping", location=f"{path}:1")
    data = _construct(root, path, env)
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        node = _node_at(root, loc)
        where = f"{path}:{node.start_mark.line + 1}" if node else str(path)
        field = ".".join(str(part) for part in loc) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PlaybookError(f"{field}: {_message(first)}{more}", location=where) from exc


def locate(path: str | Path, loc: tuple[Any, ...]) -> str:
    """`file:line` of the playbook entry at `loc` (a pydantic-style path), best effort."""
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return str(path)
    node = _node_at(root, loc) if root is not None else None
    return f"{path}:{node.start_mark.line + 1}" if node else str(path)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


def _construct(node: yaml.Node, path: Path, env: dict[str, str]) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {
            _construct(k, path, env): _construct(v, path, env) for k, v in node.value
        }
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path, env) for item in node.value]
    value = _scalar(node)
    if isinstance(value, str):
        return _interpolate(value, env, f"{path}:{node.start_mark.line + 1}")
    return value


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _interpolate(value: str, env: dict[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise PlaybookError(f"environment variable {name} is not set", location=where)

    return _ENV.sub(replace, value)


def _node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node along a pydantic error path: the deepest one that exists.

    A mapping entry is pointed at by its key, which is the line a person looks for.
    """
    node: yaml.Node = root
    parent_key: yaml.Node | None = None  # a missing key is reported at its parent's key
    for index, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is None:
                return parent_key or node
            key, value = pair
            if index == len(loc) - 1 or isinstance(value, yaml.ScalarNode):
                return key
            node, parent_key = value, key
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node, parent_key = node.value[part], None
        elif isinstance(node, yaml.SequenceNode):
            continue  # a name the list does not spell: a plain list read as one named group
        else:
            return node
    return node
