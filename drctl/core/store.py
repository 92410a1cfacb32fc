"""The store port: the journal, locks, leases and settings. Backends live in drctl/store/
(memory, SQLite, DynamoDB); every one passes the same contract tests
(tests/unit/test_store_contract.py, test_store_locks.py, test_store_leases.py; DynamoDB in
tests/e2e/test_store_dynamodb.py). The port lives in the core, so the core never imports a
backend.

- `append(event)` makes the event durable before it returns and gives it the next `seq` of its
  run (1, 2, 3 …). The first event of a run must be `run_started`; appending to a run that does
  not exist, or starting one twice, raises `InvalidInput`.
- `append_many(events)` appends several events of one run, in order, with consecutive `seq`s,
  all durable before it returns: SQLite and memory in one transaction (all or none), DynamoDB
  in transactions of up to 100 (each all or none; a failure leaves a prefix written). A step
  journals a batch of changes it is about to make this way: one fsync, not one per change.
- `events(run_id)` returns the run's events in `seq` order; an unknown id raises `UnknownRun`.
- `run_ids(kind)` lists runs newest first. `ids_with_prefix(prefix, limit)` lists up to `limit`
  run ids starting with `prefix`, in id order, from an index (never a scan of every id);
  `resolve(store, prefix)` below expands a unique one.
- Summaries (`drctl/core/summary.py`): appending any lifecycle event (`run_*`) keeps the run's
  summary current (SQLite: in the same transaction). `summaries(kind, since, playbook, limit)`
  lists them newest first by `started_at` (ties: run id descending); `since` keeps runs started
  at or after it, `playbook` matches the playbook's name. `put_summary` replaces one by run id.
  A store opened on a journal from before summaries fills them in from the journals, once.
- `check_integrity()` raises CorruptJournal (exit 2) when the backing file is damaged; a store
  also checks once before its first write, so nothing is written into a damaged journal.
- `acquire_lock(holder, replace=None)` takes the named lock atomically: it succeeds when the
  lock is free, or when it is held by exactly `replace` (compare-and-swap: a resumed run takes
  its own lock over from the holder it observed, so of two resumes only one can), and raises
  `LockHeld` naming the holder otherwise. `release_lock(name, run_id)` frees it only for its
  holder. Exactly one of many concurrent acquirers wins. `acquire_free_locks(holders)` takes
  each of the named locks that is free and returns those it took (each one atomically, as
  `acquire_lock`; SQLite: all in one transaction, so a controller's claims of one tick cost
  one durable write, not one each).
- `acquire_lease` / `renew_lease` / `release_lease` / `lease`: see drctl/core/lease.py.
- `get_setting(key)` / `put_setting(key, value)` keep small named values (the chaos kill switch);
  `None` deletes. `put_settings(values)` writes several (SQLite: in one transaction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from drctl.core.clock import iso, parse_iso
from drctl.core.errors import Blocked, UnknownRun
from drctl.core.events import Event
from drctl.core.identity import Identity, Owner
from drctl.core.lease import Lease
from drctl.core.run import Run, RunStatus, judge_liveness, run_lease_name
from drctl.core.summary import RunSummary


@dataclass(frozen=True)
class LockHolder:
    name: str
    run_id: str
    user: str
    host: str
    pid: int
    acquired_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "acquired_at": iso(self.acquired_at)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockHolder:
        return cls(data["name"], data["run_id"], data["user"], data["host"], int(data["pid"]),
                   parse_iso(data["acquired_at"]))

    def describe(self) -> str:
        return (f"run {self.run_id} by {self.user} on {self.host} (pid {self.pid}), "
                f"since {iso(self.acquired_at)}")


class LockHeld(Blocked):
    def __init__(self, holder: LockHolder) -> None:
        super().__init__(f"{holder.name} is held by {holder.describe()}")
        self.holder = holder


class Store(Protocol):
    def append(self, event: Event) -> Event: ...

    def append_many(self, events: Sequence[Event]) -> list[Event]: ...

    def events(self, run_id: str) -> list[Event]: ...

    def run_ids(self, kind: str | None = None, limit: int = 100) -> list[str]: ...

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]: ...

    def summaries(self, kind: str | None = None, since: datetime | None = None,
                  playbook: str | None = None, limit: int = 100) -> list[RunSummary]: ...

    def put_summary(self, summary: RunSummary) -> None: ...

    def check_integrity(self) -> None: ...

    def acquire_lock(self, holder: LockHolder, replace: LockHolder | None = None
                     ) -> LockHolder: ...

    def acquire_free_locks(self, holders: Sequence[LockHolder]) -> list[LockHolder]: ...

    def release_lock(self, name: str, run_id: str) -> bool: ...

    def lock(self, name: str) -> LockHolder | None: ...

    def acquire_lease(self, name: str, holder: str, owner: Owner, ttl: float, now: datetime,
                      replace: Lease | None = None) -> Lease: ...

    def renew_lease(self, lease: Lease, ttl: float, now: datetime) -> Lease: ...

    def release_lease(self, lease: Lease) -> bool: ...

    def lease(self, name: str) -> Lease | None: ...

    def get_setting(self, key: str) -> str | None: ...

    def put_setting(self, key: str, value: str | None) -> None: ...

    def put_settings(self, values: Mapping[str, str | None]) -> None: ...

    def close(self) -> None: ...


def load_run(store: Store, run_id: str, *, now: datetime | None = None,
             identity: Identity | None = None) -> Run:
    """The run folded from its journal, its liveness judged (drctl/core/run.py) as of `now`
    (default: the system time) from `identity`'s host (default: this process)."""
    return _judged(store, Run.from_events(store.events(resolve(store, run_id))), now, identity)


def list_runs(store: Store, kind: str | None = None, limit: int = 100) -> list[Run]:
    return [_judged(store, Run.from_events(store.events(rid)), None, None)
            for rid in store.run_ids(kind, limit)]


def _judged(store: Store, run: Run, now: datetime | None, identity: Identity | None) -> Run:
    if not run.unfinished:
        return run
    return judge_liveness(run, identity or Identity.of_this_process(),
                          store.lease(run_lease_name(run.run_id)), now or datetime.now(UTC))


def list_summaries(store: Store, kind: str | None = None, since: datetime | None = None,
                   playbook: str | None = None, limit: int = 100) -> list[RunSummary]:
    """Summaries newest first; a running one whose process is known dead (judged as
    `load_run` judges a run: its pid here, else its lease) is shown `interrupted`."""
    return [_judged_summary(store, s) for s in store.summaries(kind, since, playbook, limit)]


def _judged_summary(store: Store, summary: RunSummary) -> RunSummary:
    if summary.status not in (RunStatus.RUNNING, RunStatus.WAITING):
        return summary
    run = Run(summary.run_id, summary.kind, RunStatus(summary.status), summary.started_at,
              owner=summary.owner)
    return replace(summary, status=str(_judged(store, run, None, None).effective_status))


def resolve(store: Store, prefix: str) -> str:
    """The one run id starting with `prefix`. Raises UnknownRun when none or several match."""
    if not prefix:
        raise UnknownRun("no run id given", hint="see `drctl runs list`")
    matches = store.ids_with_prefix(prefix, limit=6)
    if prefix in matches:
        return prefix
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnknownRun(f"no run {prefix!r}", hint="see `drctl runs list`")
    raise UnknownRun(f"run id prefix {prefix!r} is ambiguous: {', '.join(matches[:5])}")


def acquire_each(store: Store, holders: Sequence[LockHolder]) -> list[LockHolder]:
    """`acquire_free_locks` as a loop of `acquire_lock` (for a backend with no cheaper way)."""
    taken = []
    for holder in holders:
        try:
            taken.append(store.acquire_lock(holder))
        except LockHeld:
            continue
    return taken
