"""Field types the playbook's sections share."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator

from drctl.core.durations import parse_duration


def _duration(value: object) -> float:
    if isinstance(value, str | int | float):
        return parse_duration(value)
    raise ValueError(f"not a duration: {value!r} (use 90s, 15m, 1h)")


Duration = Annotated[float, BeforeValidator(_duration)]


def _positive(seconds: float) -> float:
    if seconds <= 0:
        raise ValueError(f"must be more than zero (got {seconds:g}s)")
    return seconds


# Timeouts, intervals and RTO/RPO targets: zero or less would make a run fail at once, or
# every figure "missed".
PositiveDuration = Annotated[float, BeforeValidator(_duration), AfterValidator(_positive)]


def http_url(text: str, what: str) -> str:
    """`text` if it is an http(s) URL with a host; ValueError otherwise."""
    parsed = urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{what} {text!r} is not an http:// or https:// URL")
    return text
