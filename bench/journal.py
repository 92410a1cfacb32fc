"""`python -m bench journal`: what the journal costs, measured side by side in one run
(machines are noisy, so read the ratios, not the absolute numbers).

- append: one event made durable (SQLite WAL + synchronous=FULL, as drctl runs) against the
  in-memory store and against SQLite with synchronous=NORMAL (what durability costs);
- fold: rebuilding a Run from its journal, the price of every `runs show` and resume.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.common import quick_options
from drctl.core.events import Event
from drctl.core.run import Run
from drctl.store.base import Store
from drctl.store.memory import MemoryStore
from drctl.store.sqlite import SqliteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ROUNDS, EVENTS = 5, 300


def started(run_id: str) -> Event:
    return Event(run_id, "run_started", T0, data={"kind": "failover", "params": {}})


def step(run_id: str, i: int) -> Event:
    name = f"step-{i % 6}"
    kind = "step_started" if i % 2 == 0 else "step_succeeded"
    return Event(run_id, kind, T0, name, {"index": i, "output": {"weights": {"a": 0, "b": 100}}})


def append_seconds(make: Callable[[], Store]) -> float:
    """Median seconds per appended event over ROUNDS runs of EVENTS events."""
    samples = []
    for r in range(ROUNDS):
        store = make()
        store.append(started(f"r{r}"))
        began = time.perf_counter()
        for i in range(EVENTS):
            store.append(step(f"r{r}", i))
        samples.append((time.perf_counter() - began) / EVENTS)
        store.close()
    return statistics.median(samples)


def fold_seconds(events: list[Event]) -> float:
    samples = []
    for _ in range(ROUNDS * 4):
        began = time.perf_counter()
        Run.from_events(events)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    quick_options("journal", __doc__, argv, "the same (it takes seconds)")
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10_000))

        def sqlite(sync: str = "FULL") -> Store:
            store = SqliteStore(Path(tmp) / f"j{next(counter)}.db")
            store._db.execute(f"PRAGMA synchronous={sync}")  # bench only: compare durability
            return store

        full = append_seconds(sqlite)
        normal = append_seconds(lambda: sqlite("NORMAL"))
        memory = append_seconds(MemoryStore)
        events = [started("f")] + [step("f", i) for i in range(EVENTS)]
        fold = fold_seconds(events)
    print(f"journal append, median per event over {ROUNDS}x{EVENTS}:")
    print(f"  sqlite FULL (drctl)  {full * 1e6:9.1f} us")
    print(f"  sqlite NORMAL        {normal * 1e6:9.1f} us   FULL/NORMAL = {full / normal:5.1f}x")
    print(f"  memory               {memory * 1e6:9.1f} us   FULL/memory = {full / memory:5.1f}x")
    print(f"fold a {len(events)}-event journal into a Run: {fold * 1e3:.2f} ms")
    print("A failover journals ~20 events: the durable journal costs "
          f"{20 * full * 1e3:.1f} ms of a failover.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
