"""Templates: `{{ params.x }}` and `{{ steps.<id>.outputs.<name> }}`, by Jinja2's sandbox.

Undefined names are errors (StrictUndefined). A value that is exactly one template keeps the
type of what it renders (an integer param given to `desiredCount` stays an integer): Jinja2
parses the value, and when it is one output expression that expression is evaluated natively.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from drctl.core.errors import InvalidInput

Reference = tuple[str, ...]


class _KeysFirst(SandboxedEnvironment):
    """`steps.x.outputs.items` is the output named `items`, not the dict's method: in a
    runbook, a dot reads data (an output or param may be named items, keys, values, get)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


class Unresolved(InvalidInput):
    """A template reads a name the run does not have (yet): `name` is its path."""

    def __init__(self, name: Reference, template: str) -> None:
        super().__init__(f"{written(name)} is not defined (in {template!r})")
        self.name, self.template = name, template

    def at(self, where: str, why: str = "") -> Unresolved:
        """The same, said at `where` (`file:line: step s field`), with why it is missing."""
        located = Unresolved(self.name, self.template)
        located.message = f"{where}: {self.message}" + (f": {why}" if why else "")
        return located


def written(ref: Reference) -> str:
    """A name path as a runbook writes it: `steps['an-id'].outputs.x`."""
    text = ref[0]
    for part in ref[1:]:
        text += f"['{part}']" if not part.isidentifier() else f".{part}"
    return text


class Templates:
    def __init__(self) -> None:
        self._env = _KeysFirst(undefined=StrictUndefined, autoescape=False,
                               keep_trailing_newline=True)

    def render(self, value: Any, context: dict[str, Any]) -> Any:
        """Render every string inside `value` (dicts and lists walked). InvalidInput on an
        undefined name or a template error, naming the template."""
        if isinstance(value, dict):
            return {k: self.render(v, context) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, context) for v in value]
        if isinstance(value, str) and "{" in value:
            return self._render_text(value, context)
        return value

    def _render_text(self, text: str, context: dict[str, Any]) -> Any:
        try:
            expression = self._sole_expression(text)
            if expression is not None:
                result = self._env.compile_expression(expression, undefined_to_none=False)(
                    **context)
                if isinstance(result, StrictUndefined):
                    str(result)  # raises UndefinedError naming what is missing
                return result
            return self._env.from_string(text).render(**context)
        except UndefinedError as exc:
            missing = self._missing(text, context)
            if missing is None:
                raise InvalidInput(f"template {text!r}: {exc}") from None
            raise Unresolved(missing, text) from None
        except (TemplateSyntaxError, SecurityError, TypeError, ValueError) as exc:
            raise InvalidInput(f"template {text!r}: {exc}") from None

    def _missing(self, text: str, context: dict[str, Any]) -> Reference | None:
        """The first name path of `text` that the context does not hold (read as Jinja2
        reads it: a dot is an output, a param, or an attribute of one)."""
        for ref in self.references(text):
            value: Any = context
            for part in ref:
                value = self._step(value, part) if value is not context \
                    else context.get(part, Undefined())
                if isinstance(value, Undefined):
                    return ref
        return None

    def _sole_expression(self, text: str) -> str | None:
        """The expression's source when `text` is exactly `{{ expression }}`."""
        body = self._env.parse(text).body
        if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
            return None
        if isinstance(body[0].nodes[0], nodes.TemplateData):
            return None
        if not (text.startswith("{{") and text.endswith("}}")):
            return None  # e.g. a comment before the expression: render as text
        return text[2:-2].removeprefix("-").removesuffix("-")

    def _step(self, value: Any, part: str) -> Any:
        found = self._env.getattr(value, part)  # `a.b`, or `a['b']` (one path for both)
        if isinstance(found, Undefined):
            found = self._env.getitem(value, int(part) if part.isdigit() else part)
        return found

    def render_partial(self, value: Any, context: dict[str, Any],
                       missing: list[Unresolved]) -> Any:
        """`render`, except that a string reading a name the context lacks is kept as written
        and its Unresolved added to `missing` (a dry run shows what it could render)."""
        if isinstance(value, dict):
            return {k: self.render_partial(v, context, missing) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render_partial(v, context, missing) for v in value]
        try:
            return self.render(value, context)
        except Unresolved as exc:
            missing.append(exc)
            return value

    def parse(self, text: str) -> nodes.Template:
        """The template's syntax tree. InvalidInput when it is not a valid template."""
        try:
            return self._env.parse(text)
        except TemplateSyntaxError as exc:
            raise InvalidInput(f"template {text!r}: {exc.message}") from None

    def truth(self, text: str, context: dict[str, Any]) -> bool:
        """A `skip_if`: renders to true/false (a boolean, or the words true/false/yes/no)."""
        value = self.render(text, context)
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in ("true", "yes", "1"):
            return True
        if word in ("false", "no", "0", "", "none"):
            return False
        raise InvalidInput(f"skip_if {text!r} rendered {value!r}, not true or false")

    def references(self, text: str) -> list[Reference]:
        """Every name path a template reads (`('steps', 'check', 'outputs', 'status')`).
        InvalidInput when the text is not a valid template."""
        return list(_references(self.parse(text)))


def _references(node: nodes.Node) -> Iterator[Reference]:
    path = path_of(node)
    if path is not None:
        yield path
        return
    for sub in node.iter_child_nodes():
        yield from _references(sub)


def path_of(node: nodes.Node) -> Reference | None:
    """`a.b['c']` as ('a', 'b', 'c'); None for anything that is not a plain name path."""
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        inner = path_of(node.node)
        return None if inner is None else (*inner, node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        inner = path_of(node.node)
        return None if inner is None else (*inner, str(node.arg.value))
    return None


def strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string inside `value` with its path (for lint to find templates and their lines)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))
    elif isinstance(value, str):
        yield path, value
