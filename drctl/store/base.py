"""The journal store contract. Every backend passes tests/unit/test_store_contract.py.

- `append(event)` makes the event durable before it returns and gives it the next `seq` of its
  run (1, 2, 3 …). The first event of a run must be `run_started`; appending to a run that does
  not exist, or starting one twice, raises `InvalidInput`.
- `events(run_id)` returns the run's events in `seq` order; an unknown id raises `UnknownRun`.
- `run_ids(kind)` lists runs newest first; `resolve(prefix)` expands a unique id prefix.
"""

from __future__ import annotations

from typing import Protocol

from drctl.core.errors import UnknownRun
from drctl.core.events import Event
from drctl.core.run import Run


class Store(Protocol):
    def append(self, event: Event) -> Event: ...

    def events(self, run_id: str) -> list[Event]: ...

    def run_ids(self, kind: str | None = None, limit: int = 100) -> list[str]: ...

    def close(self) -> None: ...


def load_run(store: Store, run_id: str) -> Run:
    return Run.from_events(store.events(resolve(store, run_id)))


def list_runs(store: Store, kind: str | None = None, limit: int = 100) -> list[Run]:
    return [Run.from_events(store.events(rid)) for rid in store.run_ids(kind, limit)]


def resolve(store: Store, prefix: str) -> str:
    """The one run id starting with `prefix`. Raises UnknownRun when none or several match."""
    matches = [rid for rid in store.run_ids(None, limit=100_000) if rid.startswith(prefix)]
    if prefix in matches:
        return prefix
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnknownRun(f"no run {prefix!r}", hint="see `drctl runs list`")
    raise UnknownRun(f"run id prefix {prefix!r} is ambiguous: {', '.join(matches[:5])}")
