"""The event vocabulary (drctl/core/vocabulary.py) is complete: every event type drctl writes
is registered with its payload type, and a known event missing a field is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.vocabulary import PAYLOADS, BadEvent, EventType, check_payload, missing_fields
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0

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
    with pytest.raises(BadEvent, match="run_started event needs kind, params"):
        check_payload("run_started", {})
    check_payload("step_started", {"index": 1, "total": 6, "attempt": 1})


def test_an_event_type_drctl_does_not_know_is_not_written() -> None:
    with pytest.raises(BadEvent, match="'run_teleported' is not an event type"):
        check_payload("run_teleported", {})


def test_every_event_the_engine_writes_is_checked_before_it_reaches_the_journal() -> None:
    store = MemoryStore()
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("failover", {})
    with pytest.raises(BadEvent, match="step_started event needs attempt, index, total"):
        engine.emit(run_id, "step_started", "detect")
    with pytest.raises(BadEvent, match="not an event type"):
        engine.emit(run_id, "step_teleported", "detect")
    assert [e.type for e in store.events(run_id)] == ["run_started"]  # neither was written


def test_an_event_type_from_a_newer_drctl_is_not_judged() -> None:
    assert missing_fields("run_teleported", {}) == []
