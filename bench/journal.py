"""`python -m bench journal`: what the journal costs, measured side by side in one run
(machines are noisy, so read the ratios, not the absolute numbers).

- append: one event made durable (SQLite WAL + synchronous=FULL, as drctl runs) against the
  in-memory store and against SQLite with synchronous=NORMAL (what durability costs);
- fold: rebuilding a Run from its journal, the price of every `runs show` and resume.

A failover's journal cost as a share of its wall time is measured by `python -m bench failover`
(its `journal %` column: the run's durable writes times this append's cost, on the same disk).
Results in bench/results/journal.json.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.common import quick_options, table, write_result
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


def append_seconds(make: Callable[[], Store], rounds: int = ROUNDS) -> float:
    """Median seconds per appended event over `rounds` runs of EVENTS events."""
    samples = []
    for r in range(rounds):
        store = make()
        store.append(started(f"r{r}"))
        began = time.perf_counter()
        for i in range(EVENTS):
            store.append(step(f"r{r}", i))
        samples.append((time.perf_counter() - began) / EVENTS)
        store.close()
    return statistics.median(samples)


def fold_seconds(events: list[Event], rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds * 4):
        began = time.perf_counter()
        Run.from_events(events)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    args = quick_options("journal", __doc__, argv, f"2 rounds of each instead of {ROUNDS}")
    rounds = 2 if args.quick else ROUNDS
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10_000))

        def sqlite(sync: str = "FULL") -> Store:
            store = SqliteStore(Path(tmp) / f"j{next(counter)}.db")
            store._db.execute(f"PRAGMA synchronous={sync}")  # bench only: compare durability
            return store

        full = append_seconds(sqlite, rounds)
        normal = append_seconds(lambda: sqlite("NORMAL"), rounds)
        memory = append_seconds(MemoryStore, rounds)
        events = [started("f")] + [step("f", i) for i in range(EVENTS)]
        fold = fold_seconds(events, rounds)
    path = write_result("journal", {
        "rounds": rounds, "events_per_round": EVENTS,
        "append_us": {"sqlite FULL (drctl)": round(full * 1e6, 1),
                      "sqlite NORMAL": round(normal * 1e6, 1), "memory": round(memory * 1e6, 1)},
        "full_vs_normal": round(full / normal, 2), "full_vs_memory": round(full / memory, 2),
        "fold_events": len(events), "fold_ms": round(fold * 1e3, 3)}, echo=args.json)
    if args.json:
        return 0
    print(f"journal append, median per event of {rounds} rounds of {EVENTS} appends "
          f"(results in {path})")
    print(table(["store", "us per append", "FULL / this"],
                [["sqlite FULL (drctl)", full * 1e6, 1.0],
                 ["sqlite NORMAL", normal * 1e6, full / normal],
                 ["memory", memory * 1e6, full / memory]]))
    print(f"fold a {len(events)}-event journal into a Run: {fold * 1e3:.2f} ms (median)")
    print("a failover's journal share of its wall time: `python -m bench failover` "
          "(journal % column)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
