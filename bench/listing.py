"""`python -m bench listing`: `runs list` and `runs show` over many runs, before and after
summaries, on the same store, side by side.

- before: `runs list` = every id of the kind, newest first, then each run's whole journal folded
  (the old `list_runs`); `runs show` = every id listed to expand the prefix (the old `resolve`),
  then the journal folded.
- after: `runs list` = one indexed read of summaries; `runs show` = an indexed prefix lookup,
  then the journal folded.

SQLite: 10,000 runs. DynamoDB: 1,000 runs in a sandbox started (and stopped) for the bench.
`--quick`: a tenth of each.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from bench.common import median, quick_options, sandbox, table, write_result
from drctl.aws.clients import ClientFactory
from drctl.core.events import Event
from drctl.core.run import Run
from drctl.store.base import Store, list_summaries, load_run
from drctl.store.dynamodb import DynamoStore
from drctl.store.sqlite import SqliteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STEPS = ("detect", "confirm", "switch_dns", "scale_secondary", "smoke_test", "notify")
LIST_LIMIT = 50  # what `drctl runs list` shows by default


def journal(run_id: str, at: datetime) -> list[Event]:
    """A failover's journal as drctl writes it: 6 steps, a measurement, the end."""
    events = [Event(run_id, "run_started", at, data={
        "kind": "failover", "user": "ana", "host": "bench", "pid": 1,
        "params": {"playbook": "roadtrip", "target_region": "us-west-2",
                   "failed_region": "us-east-1"}})]
    for i, name in enumerate(STEPS, start=1):
        events.append(Event(run_id, "step_started", at, name, {"index": i, "total": 6}))
        events.append(Event(run_id, "step_succeeded", at, name,
                            {"output": {"weights": {"us-east-1": 0, "us-west-2": 100}}}))
    events.append(Event(run_id, "run_measured", at, data={"measurement": {
        "rto_seconds": 40.0, "rto_target_seconds": 3600, "rpo_seconds": 5.0,
        "rpo_target_seconds": 900}}))
    events.append(Event(run_id, "run_finished", at, data={"status": "succeeded"}))
    return events


def fill(store: Store, runs: int) -> list[str]:
    ids = []
    for n in range(runs):
        run_id = f"fo-{n:06d}-{os.urandom(3).hex()}"
        for event in journal(run_id, T0 + timedelta(seconds=n)):
            store.append(event)
        ids.append(run_id)
    return ids


def fill_as_before_summaries(store: DynamoStore, client: Any, runs: int) -> list[str]:
    """The journal items and run index as drctl wrote them before summaries, in batches (the
    sandbox's DynamoDB copies the whole table for every transaction: filling through
    `append` would measure that, not listing)."""
    ids, items = [], []
    for n in range(runs):
        run_id = f"fo-{n:06d}-{os.urandom(3).hex()}"
        events = journal(run_id, T0 + timedelta(seconds=n))
        items += [store.event_item(e, seq) for seq, e in enumerate(events, start=1)]
        items.append(store.index_items(events[0])[0]["Item"])
        ids.append(run_id)
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        client.batch_write_item(RequestItems={store.table: batch})
    return ids


def list_before(store: Store) -> int:
    return len([Run.from_events(store.events(rid)) for rid in store.run_ids(None, LIST_LIMIT)])


def list_after(store: Store) -> int:
    return len([s.to_dict() for s in list_summaries(store, limit=LIST_LIMIT)])


def show_before(store: Store, prefix: str) -> int:
    matches = [rid for rid in store.run_ids(None, limit=100_000) if rid.startswith(prefix)]
    return len(Run.from_events(store.events(matches[0])).to_dict())


def show_after(store: Store, prefix: str) -> int:
    return len(load_run(store, prefix).to_dict())


def median_seconds(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return median(samples)


def compare(backend: str, store: Store, ids: list[str], rounds: int) -> list[list[Any]]:
    """Rows of (backend, runs, command, before ms, after ms, before/after)."""
    prefix = ids[len(ids) // 2][:12]  # a unique prefix of a run in the middle
    figures = {
        "runs list": (median_seconds(lambda: list_before(store), rounds),
                      median_seconds(lambda: list_after(store), rounds)),
        "runs show": (median_seconds(lambda: show_before(store, prefix), rounds),
                      median_seconds(lambda: show_after(store, prefix), rounds)),
    }
    return [[backend, len(ids), what, before * 1e3, after * 1e3, before / after]
            for what, (before, after) in figures.items()]


def sqlite_rows(runs: int) -> list[list[Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "journal.db")
        store._db.execute("PRAGMA synchronous=OFF")  # bench only: filling is not measured
        ids = fill(store, runs)
        store._db.execute("PRAGMA synchronous=FULL")
        rows = compare("sqlite", store, ids, rounds=5)
        store.close()
    return rows


def dynamodb_rows(runs: int) -> tuple[list[list[Any]], float]:
    """The rows, and the seconds the one-off migration of the table took."""
    with sandbox() as box:
        os.environ.update({k: v for k, v in box.env.items() if k.startswith("AWS_")})
        client = ClientFactory().client("dynamodb", "us-east-1")
        store = DynamoStore(client, "bench")
        store.create_table()
        ids = fill_as_before_summaries(store, client, runs)
        began = time.perf_counter()
        store.migrate()
        took = time.perf_counter() - began
        return compare("dynamodb", store, ids, rounds=3), took


def main(argv: list[str] | None = None) -> int:
    args = quick_options("listing", __doc__, argv, "a tenth of the runs")
    quick = args.quick
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    dynamodb_runs = 100 if quick else 1_000
    rows = sqlite_rows(1_000 if quick else 10_000)
    dynamo, migration = dynamodb_rows(dynamodb_runs)
    rows += dynamo
    headers = ["store", "runs", "command", "before ms", "after ms", "before/after"]
    write_result("listing", {"rows": [dict(zip(headers, r, strict=True)) for r in rows],
                             "dynamodb_migration_seconds": migration}, echo=args.json)
    if not args.json:
        print("median; before: journals folded / every id scanned; after: summaries / id index")
        print(table(headers, rows))
        print(f"migrating a DynamoDB table of {dynamodb_runs:,} runs from before summaries, "
              f"once: {migration:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
