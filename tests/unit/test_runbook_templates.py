"""Runbook templates: a dot reads data first, so outputs and params named like dict methods
(`items`, `keys`, `values`, `get`) are the values the runbook declared, never the methods."""

from __future__ import annotations

import pytest

from drctl.core.errors import InvalidInput
from drctl.runbook.templates import Templates

CONTEXT = {"params": {"items": ["a", "b"], "n": 2},
           "steps": {"read": {"outputs": {"items": 5, "keys": "k", "values": [1], "get": 3}}}}


@pytest.mark.parametrize(("text", "expected"), [
    ("{{ steps.read.outputs.items }}", 5),
    ("{{ steps.read.outputs.keys }}", "k"),
    ("{{ steps.read.outputs.values }}", [1]),
    ("{{ steps.read.outputs.get }}", 3),
    ("{{ params.items }}", ["a", "b"]),
    ("count={{ steps.read.outputs.items }}", "count=5"),
    ("{{ steps['read'].outputs['items'] }}", 5),
])
def test_a_name_like_a_dict_method_is_the_declared_value(text: str, expected: object) -> None:
    assert Templates().render(text, CONTEXT) == expected


def test_a_missing_name_is_still_an_error() -> None:
    with pytest.raises(InvalidInput, match="no_such"):
        Templates().render("{{ steps.read.outputs.no_such }}", CONTEXT)


def test_filters_and_methods_still_work_on_other_names() -> None:
    assert Templates().render("{{ params.n + 1 }}", CONTEXT) == 3
    assert Templates().render("{{ params.get('n') }}", CONTEXT) == 2
