"""JSONPath selection (jsonpath-ng) over a step's result: outputs, `until` and `expect`."""

from __future__ import annotations

from typing import Any

from jsonpath_ng import parse

from drctl.core.errors import StepFailed

MISSING = object()


def select(document: Any, selector: str) -> Any:
    """The value at `selector`: one match is the value, several are a list, none is MISSING."""
    matches = [match.value for match in parse(selector).find(document)]
    if not matches:
        return MISSING
    return matches[0] if len(matches) == 1 else matches


def outputs(document: Any, selectors: dict[str, str], step: str) -> dict[str, Any]:
    """Every declared output; StepFailed naming the first selector that matched nothing."""
    found: dict[str, Any] = {}
    for name, selector in selectors.items():
        value = select(document, selector)
        if value is MISSING:
            raise StepFailed(f"step {step}: output {name}: {selector} matched nothing in the "
                             f"result")
        found[name] = value
    return found
