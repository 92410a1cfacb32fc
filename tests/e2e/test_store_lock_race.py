"""Processes racing for the failover lock of one SQLite journal: exactly one wins.

An end-to-end truth about separate processes (SQLite's file locks; no sandbox needed): it spawns
interpreters, so it lives here; the same race between threads is in tests/unit/test_store_locks.py.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from drctl.store.base import LockHeld
from drctl.store.sqlite import SqliteStore
from tests.unit.test_store_locks import holder


def _acquire_in_process(paths: list[str], run_id: str, start: object, results: object) -> None:
    """Race for the lock of every journal in `paths`, one after the other."""
    stores = [SqliteStore(Path(path)) for path in paths]
    start.wait()  # type: ignore[attr-defined]
    for path, store in zip(paths, stores, strict=True):
        try:
            store.acquire_lock(holder(run_id))
            results.put((path, run_id))  # type: ignore[attr-defined]
        except LockHeld:
            results.put((path, None))  # type: ignore[attr-defined]


def test_sqlite_processes_racing_for_a_lock_one_wins(tmp_path: Path) -> None:
    """Six processes race for the lock of three journals (three races; the processes are
    spawned once, as each spawn costs an interpreter and an import of drctl)."""
    ctx = multiprocessing.get_context("spawn")
    paths = [str(tmp_path / f"race-{round_}.db") for round_ in range(3)]
    for path in paths:
        SqliteStore(Path(path)).close()
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_acquire_in_process, args=(paths, f"run-{i}", start, results))
             for i in range(6)]
    for p in procs:
        p.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in range(len(procs) * len(paths))]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    for path in paths:
        winners = [run_id for raced, run_id in outcomes if raced == path and run_id]
        assert len(winners) == 1, outcomes
        assert SqliteStore(Path(path)).lock(holder("x").name).run_id == winners[0]  # type: ignore[union-attr]
