"""Durations as SREs write them (drctl/core/durations.py)."""

from __future__ import annotations

import pytest

from drctl.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1h30m15s", 5415.0),
        ("2d", 172800.0),
        ("1.5h", 5400.0),
        (" 15m ", 900.0),
        (90, 90.0),
        (0, 0.0),
        (2.5, 2.5),
    ],
)
def test_parse_duration_accepts(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_returns_a_float_for_ints() -> None:
    assert isinstance(parse_duration(90), float)


@pytest.mark.parametrize(
    "text", ["15 minutes", "", "   ", "1x", "m15", "15m garbage", "1h 30m", "-5m", "ms"]
)
def test_parse_duration_rejects_text_that_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a duration: .*\(use a number with a unit"):
        parse_duration(text)


@pytest.mark.parametrize("value", [True, False])
def test_parse_duration_rejects_booleans(value: bool) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0.0s"),
        (12.34, "12.3s"),
        (59.9, "59.9s"),
        (60, "1m00s"),
        (245, "4m05s"),
        (245.4, "4m05s"),
        (3599, "59m59s"),
        (3600, "1h00m00s"),
        (3723, "1h02m03s"),
        (5400, "1h30m00s"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text
