"""In-memory store: the fake the core's unit tests use. Same contract as SQLite."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from drctl.core.errors import InvalidInput, UnknownRun
from drctl.core.events import Event, is_lifecycle
from drctl.core.lease import Lease, same_lease
from drctl.core.store import LockHeld, LockHolder
from drctl.core.summary import RunSummary, summary_of
from drctl.store.lease_swap import LeaseSwap


class MemoryStore(LeaseSwap):
    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._locks: dict[str, LockHolder] = {}
        self._settings: dict[str, str] = {}
        self._leases: dict[str, Lease] = {}
        self._summaries: dict[str, RunSummary] = {}
        self._lock = threading.Lock()

    def append(self, event: Event) -> Event:
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[Event]) -> list[Event]:
        """All or nothing, as SQLite's transaction: if one event cannot be appended (or its
        summary folded), none is."""
        with self._lock:
            journals = {e.run_id: list(self._events[e.run_id]) for e in events
                        if e.run_id in self._events}
            summaries: dict[str, RunSummary] = {}
            appended = [_added(journals, summaries, event) for event in events]
            self._events.update(journals)
            self._summaries.update(summaries)
            return appended

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

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        with self._lock:
            return sorted(rid for rid in self._events if rid.startswith(prefix))[:limit]

    def summaries(self, kind: str | None = None, since: datetime | None = None,
                  playbook: str | None = None, limit: int = 100) -> list[RunSummary]:
        with self._lock:
            chosen = [s for s in self._summaries.values()
                      if kind in (None, s.kind) and playbook in (None, s.playbook)
                      and (since is None or s.started_at >= since)]
        chosen.sort(key=lambda s: (s.started_at, s.run_id), reverse=True)
        return chosen[:limit]

    def put_summary(self, summary: RunSummary) -> None:
        with self._lock:
            self._summaries[summary.run_id] = summary

    def check_integrity(self) -> None:
        """Memory cannot be damaged on disk."""

    def acquire_lock(self, holder: LockHolder, replace: LockHolder | None = None
                     ) -> LockHolder:
        with self._lock:
            current = self._locks.get(holder.name)
            if current is not None and current != replace:
                raise LockHeld(current)
            self._locks[holder.name] = holder
            return holder

    def acquire_free_locks(self, holders: Sequence[LockHolder]) -> list[LockHolder]:
        with self._lock:
            free = [h for h in holders if h.name not in self._locks]
            self._locks.update({h.name: h for h in free})
            return free

    def release_lock(self, name: str, run_id: str) -> bool:
        with self._lock:
            current = self._locks.get(name)
            if current is None or current.run_id != run_id:
                return False
            del self._locks[name]
            return True

    def lock(self, name: str) -> LockHolder | None:
        with self._lock:
            return self._locks.get(name)

    def _swap_lease(self, name: str, decide: Callable[[Lease | None], Lease]) -> Lease:
        with self._lock:
            lease = decide(self._leases.get(name))
            self._leases[name] = lease
            return lease

    def release_lease(self, lease: Lease) -> bool:
        with self._lock:
            if not same_lease(self._leases.get(lease.name), lease):
                return False
            del self._leases[lease.name]
            return True

    def lease(self, name: str) -> Lease | None:
        with self._lock:
            return self._leases.get(name)

    def get_setting(self, key: str) -> str | None:
        with self._lock:
            return self._settings.get(key)

    def put_setting(self, key: str, value: str | None) -> None:
        with self._lock:
            if value is None:
                self._settings.pop(key, None)
            else:
                self._settings[key] = value

    def put_settings(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            self.put_setting(key, value)

    def close(self) -> None:
        pass


def _added(journals: dict[str, list[Event]], summaries: dict[str, RunSummary],
           event: Event) -> Event:
    """`event` added to its run's journal in `journals` (and its summary to `summaries`)."""
    journal = journals.get(event.run_id)
    if event.type == "run_started" and journal is not None:
        raise InvalidInput(f"run {event.run_id} already started")
    if event.type != "run_started" and journal is None:
        raise InvalidInput(f"run {event.run_id} has no run_started event")
    journal = journals.setdefault(event.run_id, [])
    journal.append(dataclasses.replace(event, seq=len(journal) + 1))
    if is_lifecycle(event.type):
        summaries[event.run_id] = summary_of(journal)
    return journal[-1]
