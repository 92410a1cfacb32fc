"""Field types the playbook's sections share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from drctl.core.durations import parse_duration


def _duration(value: object) -> float:
    if isinstance(value, str | int | float):
        return parse_duration(value)
    raise ValueError(f"not a duration: {value!r} (use 90s, 15m, 1h)")


Duration = Annotated[float, BeforeValidator(_duration)]
