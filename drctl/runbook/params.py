"""Runbook parameters: `--param k=v` text or scheduled values, typed and checked at start."""

from __future__ import annotations

import difflib
import json
from datetime import UTC, datetime
from typing import Any

from drctl.core.clock import iso
from drctl.core.errors import InvalidInput
from drctl.runbook.model import ParamSpec, Runbook

_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """`k=v` strings as a dict. InvalidInput for one without `=` or given twice."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--param {pair!r}: write it as NAME=VALUE")
        if name.strip() in values:
            raise InvalidInput(f"--param {name.strip()} is given twice")
        values[name.strip()] = value
    return values


def resolve_params(runbook: Runbook, given: dict[str, Any]) -> dict[str, Any]:
    """Every declared param with its typed value: given, else its default. InvalidInput for an
    unknown name, a missing required one, or a value of the wrong type (nothing has run)."""
    declared = runbook.meta.params
    for name in given:
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            known = ", ".join(declared) or "none"
            raise InvalidInput(f"unknown param {name!r}{hint}; runbook {runbook.meta.id} "
                               f"takes: {known}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = coerce(name, spec, given[name])
        elif spec.required:
            raise InvalidInput(f"param {name} ({spec.type}) is required: --param {name}=…")
        else:
            values[name] = spec.default
    return values


TIMESTAMP_FORM = "ISO 8601 with its offset, e.g. 2026-12-01T09:11:00Z"


def coerce(name: str, spec: ParamSpec, value: Any) -> Any:
    """`value` as `spec.type`; text (from the command line) is converted, other values checked."""
    try:
        return _convert(spec.type, value)
    except (ValueError, TypeError):
        form = f" ({TIMESTAMP_FORM})" if spec.type == "timestamp" else ""
        raise InvalidInput(f"param {name}: {value!r} is not of type {spec.type}{form}") \
            from None


def _timestamp(value: Any) -> str:
    """A point in time as ISO 8601 UTC text (as AWS APIs take it). A time without an offset
    is refused: 09:11 in which zone would restore the wrong data."""
    when = value if isinstance(value, datetime) else \
        datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("no offset")
    return iso(when.astimezone(UTC)) or ""


def _convert(kind: str, value: Any) -> Any:
    text = value if isinstance(value, str) else None
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(kind)
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if text is not None and text.strip().lower() in _WORDS:
            return _WORDS[text.strip().lower()]
        raise ValueError(kind)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(kind)
        return int(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(kind)
        return float(value) if text is not None else value
    if kind == "timestamp":
        return _timestamp(value)
    return _list(value)


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        parsed = json.loads(value) if value.strip().startswith("[") else \
            [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(parsed, list):
            return parsed
    raise TypeError("list")
