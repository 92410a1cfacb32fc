"""The `drctl` extension of an experiment: guard rails, scope, blocked windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drctl.chaos.extension import BlockedWindow, guard_rails
from drctl.core.errors import InvalidInput

# 2026-01-02 is a Friday.
FRIDAY_NOON = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def test_without_the_extension_the_defaults_apply() -> None:
    rails = guard_rails({"title": "t", "extensions": [{"name": "someone-else", "x": 1}]})

    assert (rails.scope, rails.target_regions, rails.guard_alarms) == ("resource", [], [])


def test_guard_alarms_are_filled_in_per_region() -> None:
    rails = guard_rails({"extensions": [{"name": "drctl", "guard_alarms": ["a-{region}", "b"]}]})

    assert rails.alarms_in("us-west-2") == ["a-us-west-2", "b"]


def test_a_misspelt_key_is_refused_rather_than_silently_ignored() -> None:
    with pytest.raises(InvalidInput, match="guard_alarm: Extra inputs are not permitted"):
        guard_rails({"extensions": [{"name": "drctl", "guard_alarm": ["x"]}]})


def test_an_unknown_scope_is_refused() -> None:
    with pytest.raises(InvalidInput, match="scope"):
        guard_rails({"extensions": [{"name": "drctl", "scope": "planet"}]})


def test_two_drctl_extensions_are_refused() -> None:
    with pytest.raises(InvalidInput, match="more than one"):
        guard_rails({"extensions": [{"name": "drctl"}, {"name": "drctl"}]})


def test_a_window_contains_times_on_its_days_between_start_and_end() -> None:
    window = BlockedWindow.model_validate({"days": ["fri"], "start": "09:00", "end": "17:00"})

    assert window.contains(FRIDAY_NOON)
    assert not window.contains(FRIDAY_NOON.replace(hour=17))
    assert not window.contains(FRIDAY_NOON.replace(day=1))  # Thursday


def test_a_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    window = BlockedWindow.model_validate({"days": ["fri"], "start": "22:00", "end": "02:00"})

    assert window.contains(FRIDAY_NOON.replace(hour=23))
    assert window.contains(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))  # Saturday 01:00
    assert not window.contains(datetime(2026, 1, 2, 1, 0, tzinfo=UTC))  # Friday 01:00


def test_a_window_is_read_in_its_time_zone() -> None:
    window = BlockedWindow.model_validate(
        {"start": "09:00", "end": "10:00", "timezone": "America/Los_Angeles"})

    assert window.contains(datetime(2026, 1, 2, 17, 30, tzinfo=UTC))  # 09:30 in Los Angeles
    assert not window.contains(datetime(2026, 1, 2, 9, 30, tzinfo=UTC))


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown time zone"):
        guard_rails({"extensions": [{"name": "drctl", "blocked_windows": [
            {"start": "09:00", "end": "10:00", "timezone": "Mars/Olympus"}]}]})
