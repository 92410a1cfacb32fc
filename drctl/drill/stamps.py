"""Reading an item's write stamp (the playbook's `timestamp_attribute`) and its resolution.

A number is epoch seconds (milliseconds when it is that large); a string is ISO 8601. The
resolution is what the stamp's own digits say: `1733011200` is good to a second,
`1733011200.123` to a millisecond, `2026-12-01T00:00:00Z` to a second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from drctl.core.clock import parse_iso

Item = dict[str, Any]
_MILLISECONDS = 10**11  # epoch seconds pass this in the year 5138


def stamp_of(item: Item, attribute: str) -> datetime | None:
    """The item's timestamp, or None when absent or unreadable."""
    value = item.get(attribute)
    if not isinstance(value, dict):
        return None
    try:
        if "N" in value:
            seconds = Decimal(value["N"])
            seconds = seconds / 1000 if seconds > _MILLISECONDS else seconds
            return datetime.fromtimestamp(float(seconds), UTC)
        if "S" in value:
            return parse_iso(value["S"])
    except (InvalidOperation, ValueError, OverflowError):
        return None
    return None


def resolution_of(item: Item, attribute: str) -> float:
    """Seconds one unit of the stamp's last digit stands for (1.0 when unreadable)."""
    value = item.get(attribute)
    if not isinstance(value, dict):
        return 1.0
    if "N" in value:
        return _number_resolution(str(value["N"]))
    if "S" in value:
        return _iso_resolution(str(value["S"]))
    return 1.0


def _number_resolution(text: str) -> float:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return 1.0
    exponent = number.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    unit = 0.001 if number > _MILLISECONDS else 1.0
    return float(unit * 10.0**-digits)


def _iso_resolution(text: str) -> float:
    """`...T12:00:00Z` -> 1.0, `...T12:00:00.250Z` -> 0.001, `...T12:00Z` -> 60.0."""
    clock = text.partition("T")[2] or text.partition(" ")[2]
    clock = clock.split("+")[0].split("Z")[0].split("-")[0]
    if "." in clock:
        return 10.0 ** -len(clock.split(".")[1])
    return 60.0 if clock.count(":") == 1 else 1.0
