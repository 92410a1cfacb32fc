"""In-memory store: the fake the core's unit tests use. Same contract as SQLite."""

from __future__ import annotations

import dataclasses
import threading

from drctl.core.errors import InvalidInput, UnknownRun
from drctl.core.events import Event


class MemoryStore:
    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._lock = threading.Lock()

    def append(self, event: Event) -> Event:
        with self._lock:
            journal = self._events.get(event.run_id)
            if event.type == "run_started":
                if journal is not None:
                    raise InvalidInput(f"run {event.run_id} already started")
                journal = self._events[event.run_id] = []
            elif journal is None:
                raise InvalidInput(f"run {event.run_id} has no run_started event")
            stored = dataclasses.replace(event, seq=len(journal) + 1)
            journal.append(stored)
            return stored

    def events(self, run_id: str) -> list[Event]:
        with self._lock:
            if run_id not in self._events:
                raise UnknownRun(f"no run {run_id!r}")
            return list(self._events[run_id])

    def run_ids(self, kind: str | None = None, limit: int = 100) -> list[str]:
        with self._lock:
            journals = [j for j in self._events.values() if kind in (None, j[0].data["kind"])]
        journals.sort(key=lambda j: (j[0].at, j[0].run_id), reverse=True)
        return [j[0].run_id for j in journals[:limit]]

    def close(self) -> None:
        pass
