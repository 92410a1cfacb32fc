"""YAML as drctl reads it: composed to nodes (to keep line numbers), then built into plain data
with the checks PyYAML does not make.

- A key given twice in one mapping is an error at the second one (PyYAML keeps the last one
  silently: a second `scale:` block once replaced the first and the failover scaled nothing).
- Aliases are followed with a budget: a "billion laughs" document is refused, not expanded.
- `${VAR}` / `${VAR:-default}` in strings come from the environment.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# A real playbook has a few hundred nodes; an alias bomb has billions.
MAX_NODES = 100_000
MAX_DEPTH = 64
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")


class NodeProblem(Exception):
    """A problem at one node: `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class Builder:
    """Builds plain data from a node tree, collecting every problem instead of stopping."""

    def __init__(self, env: dict[str, str], placeholders: frozenset[str] = frozenset()) -> None:
        self.env = env
        self.placeholders = placeholders
        self.problems: list[NodeProblem] = []
        self._visited = 0

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self._visited += 1
        if self._visited > MAX_NODES or depth > MAX_DEPTH:
            raise NodeProblem(_line(node), f"the document expands to more than {MAX_NODES} "
                              f"nodes or {MAX_DEPTH} levels (an alias bomb, or a "
                              "self-referencing alias?)")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, depth + 1) for item in node.value]
        value = _scalar(node)
        if not isinstance(value, str):
            return value
        self._check_placeholders(value, node)
        return self._interpolate(value, node)

    def _check_placeholders(self, value: str, node: yaml.Node) -> None:
        unknown = [n for n in _PLACEHOLDER.findall(value) if n not in self.placeholders]
        if unknown and self.placeholders:
            self.problems.append(NodeProblem(
                _line(node), f"unknown placeholder {{{unknown[0]}}} in {value!r} (known: "
                             + ", ".join(f"{{{p}}}" for p in sorted(self.placeholders)) + ")"))

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            if not isinstance(key, str | int | float | bool) and key is not None:
                self.problems.append(NodeProblem(_line(key_node), "a key must be a scalar"))
                continue
            if key in first_line:
                self.problems.append(NodeProblem(
                    _line(key_node), f"duplicate key {key!r} (first given at line "
                                     f"{first_line[key]}); YAML would silently keep only "
                                     "the last one"))
                continue
            first_line[key] = _line(key_node)
            out[key] = self.build(value_node, depth + 1)
        return out

    def _interpolate(self, value: str, node: yaml.Node) -> str:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env:
                return self.env[name]
            if default is not None:
                return default
            self.problems.append(NodeProblem(_line(node),
                                             f"environment variable {name} is not set"))
            return ""

        return _ENV.sub(replace, value)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node along a pydantic error path: the deepest one that exists.

    A mapping entry is pointed at by its key, which is the line a person looks for.
    """
    node: yaml.Node = root
    parent_key: yaml.Node | None = None  # a missing key is reported at its parent's key
    for index, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
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
