"""Times an operator types (`failover --incident-start`, `drill --at`): one rule for all.

A time that decides a measured figure must say which moment it means. So a time is accepted
only with an explicit UTC offset (`Z` or `+HH:MM`) — a bare date, a naive "2026-11-30 22:00:00"
or an epoch number is refused rather than silently read as UTC — and only when it is plausible:
not in the future (beyond a small clock skew) and not older than the caller allows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from drctl.core.errors import InvalidInput

# Two machines' clocks may disagree by a little; an NTP-synchronised host is far closer.
CLOCK_SKEW = timedelta(seconds=60)
EXAMPLE = "2026-11-30T22:00:00Z or 2026-11-30T23:00:00+01:00"


def parse_operator_time(text: str, *, option: str, now: datetime, max_age: timedelta) -> datetime:
    """The aware datetime `text` names. Raises InvalidInput (exit 2) when it has no explicit
    offset, is not ISO 8601, lies in the future, or is older than `max_age` before `now`."""
    when = _parse(text, option)
    if when - now > CLOCK_SKEW:
        raise InvalidInput(f"{option} {text!r} is in the future (now is {_show(now)})")
    if now - when > max_age:
        raise InvalidInput(
            f"{option} {text!r} is implausibly old: more than {_days(max_age)} before now",
            hint=f"give the time it really was, e.g. {EXAMPLE}")
    return when


def _parse(text: str, option: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} {text!r} is not an ISO 8601 time",
                           hint=f"for example {EXAMPLE}") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidInput(
            f"{option} {text!r} has no UTC offset: say Z or +HH:MM, so the right moment is used",
            hint=f"for example {EXAMPLE}")
    return when


def _show(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:g} day{'s' if days != 1 else ''}"
