"""The event vocabulary (drctl/core/vocabulary.py) is complete: every event type drctl writes
is registered with its payload type, and a known event missing a field is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drctl.core.errors import InvalidInput
from drctl.core.vocabulary import PAYLOADS, EventType, check_payload, missing_fields

DRCTL = Path(__file__).resolve().parents[2] / "drctl"
# `emit(run_id, "type"`, `journal.emit("type"`, `Event(run_id, "type"`
EMITTED = re.compile(r'(?:\bemit\(\s*(?:[\w.\[\]]+,\s*)?|\bEvent\(\s*[\w.\[\]]+,\s*)"([a-z_]+)"')


def emitted_types() -> set[str]:
    found: set[str] = set()
    for path in DRCTL.rglob("*.py"):
        found |= set(EMITTED.findall(path.read_text()))
    return found


def test_every_event_type_drctl_writes_is_in_the_vocabulary() -> None:
    emitted = emitted_types()

    assert {"run_started", "step_succeeded", "run_finished"} <= emitted  # the scan works
    assert emitted - {t.value for t in EventType} == set()


def test_every_event_type_has_a_payload_type() -> None:
    assert set(PAYLOADS) == set(EventType)


def test_a_known_event_missing_a_field_is_refused() -> None:
    assert missing_fields("run_finished", {"error": "x"}) == ["status"]
    with pytest.raises(InvalidInput, match="run_started event needs kind, params"):
        check_payload("run_started", {})
    check_payload("step_started", {"index": 1, "total": 6, "attempt": 1})


def test_an_event_type_from_a_newer_drctl_is_not_judged() -> None:
    assert missing_fields("run_teleported", {}) == []
