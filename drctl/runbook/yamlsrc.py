"""YAML as runbooks need it: duplicate keys refused, and every value's line kept for file:line.

PyYAML composes the node tree (with positions); a SafeLoader subclass that refuses a key given
twice constructs the data. `line_of(node, path)` finds the line of a pydantic error path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class YamlProblem(Exception):
    """Bad YAML; `line` is 0-based within the text given."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise YamlProblem(f"duplicate key {key!r}", key_node.start_mark.line)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    root: yaml.Node | None


def load_yaml(text: str) -> YamlDoc:
    """One YAML document. YamlProblem (with its line) for bad YAML or a key given twice."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        loader = _UniqueKeyLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _problem(exc) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", 0) from None
    return YamlDoc(data, root)


# Constructs PyYAML notices are unclosed only at the next token, often a line or more later:
# the line that opened one (a quote, `[`, `{`) is where the fix goes.
_UNCLOSED = {"quoted scalar": "a quote", "flow sequence": "a [", "flow mapping": "a {"}


def _problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    context, mark = exc.context or "", exc.problem_mark or exc.context_mark
    opened = next((v for k, v in _UNCLOSED.items() if context.endswith(k)), None)
    if exc.context_mark is not None and opened:
        return YamlProblem(f"not valid YAML: {opened} opened on this line is not closed "
                           f"({exc.problem})", exc.context_mark.line)
    return YamlProblem(f"not valid YAML: {exc.problem or exc}", mark.line if mark else 0)


def line_of(root: yaml.Node | None, path: tuple[Any, ...]) -> int:
    """0-based line of the deepest node along `path` (a mapping entry is found by its key)."""
    if root is None:
        return 0
    node, line = root, root.start_mark.line
    for part in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            return line
    return line


def child(root: yaml.Node | None, key: Any) -> yaml.Node | None:
    """The value node under `key` (a mapping key or a sequence index), or None."""
    if isinstance(root, yaml.MappingNode):
        return next((v for k, v in root.value if k.value == key), None)
    if isinstance(root, yaml.SequenceNode) and isinstance(key, int) and key < len(root.value):
        return root.value[key]
    return None
