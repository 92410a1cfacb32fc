"""The one rule for times an operator types: explicit offset, plausible, else exit 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drctl.core.errors import InvalidInput
from drctl.core.operator_time import parse_operator_time

NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def parse(text: str, max_age: timedelta = WEEK) -> datetime:
    return parse_operator_time(text, option="--incident-start", now=NOW, max_age=max_age)


@pytest.mark.parametrize("text", [
    "2026-11-30 22:00:00",        # space, no offset: used to be read as UTC
    "2026-11-30T22:00:00",        # no offset
    "2026-11-30",                 # a bare date
])
def test_a_time_without_an_explicit_offset_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="no UTC offset") as caught:
        parse(text)
    assert caught.value.exit_code == 2 and caught.value.hint


@pytest.mark.parametrize("text", ["0", "1700000000", "yesterday", ""])
def test_an_epoch_number_or_words_are_not_a_time(text: str) -> None:
    with pytest.raises(InvalidInput, match="not an ISO 8601 time"):
        parse(text)


@pytest.mark.parametrize("text", ["1970-01-01T00:00:00Z", "2026-11-01T00:00:00Z"])
def test_an_implausibly_old_time_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="implausibly old: more than 7 days"):
        parse(text)


def test_the_age_limit_is_the_callers() -> None:
    assert parse("2026-11-01T00:00:00Z", max_age=timedelta(days=35)) == datetime(
        2026, 11, 1, tzinfo=UTC)


def test_a_future_time_is_refused_beyond_clock_skew() -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        parse("2026-11-30T23:05:00Z")
    assert parse("2026-11-30T23:00:30Z") == NOW + timedelta(seconds=30)


@pytest.mark.parametrize("text", [
    "2026-11-30T22:00:00Z", "2026-11-30T22:00:00+00:00", "2026-11-30 23:00:00+01:00",
    "2026-11-30T17:00:00-05:00",
])
def test_an_explicit_offset_names_one_moment(text: str) -> None:
    assert parse(text) == datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
