"""The journal store contract (drctl/store/base.py), run against every backend."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from drctl.core.errors import InvalidInput, UnknownRun
from drctl.core.events import Event
from drctl.store.base import Store, resolve
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0


def started(run_id: str, kind: str = "failover", at: datetime = T0) -> Event:
    return Event(run_id, "run_started", at, data={"kind": kind, "params": {"region": "us-west-2"}})


def step_event(run_id: str, type_: str, step: str, at: datetime = T0, **data: object) -> Event:
    return Event(run_id, type_, at, step, dict(data))


def start_runs(store: Store, *runs: tuple[str, str, int]) -> None:
    """Start (run_id, kind, minutes after T0) runs, in the order given."""
    for run_id, kind, minutes in runs:
        store.append(started(run_id, kind, T0 + timedelta(minutes=minutes)))


# --- append / events -------------------------------------------------------------------------


def test_append_assigns_seq_1_2_3_in_order(store: Store) -> None:
    first = store.append(started("fo-1"))
    second = store.append(step_event("fo-1", "step_started", "detect", index=1))
    third = store.append(step_event("fo-1", "step_succeeded", "detect", output={"x": 1}))

    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert [e.seq for e in store.events("fo-1")] == [1, 2, 3]


def test_events_come_back_as_appended(store: Store) -> None:
    store.append(started("fo-1"))
    store.append(step_event("fo-1", "step_succeeded", "detect", T0 + timedelta(seconds=5),
                            output={"incident_start": "2026-01-01T11:58:00.000Z"}))

    events = store.events("fo-1")

    assert [(e.type, e.step, e.at) for e in events] == [
        ("run_started", None, T0),
        ("step_succeeded", "detect", T0 + timedelta(seconds=5)),
    ]
    assert events[0].data == {"kind": "failover", "params": {"region": "us-west-2"}}
    assert events[1].data == {"output": {"incident_start": "2026-01-01T11:58:00.000Z"}}


def test_seq_is_counted_per_run(store: Store) -> None:
    store.append(started("fo-1"))
    store.append(started("fo-2"))
    store.append(step_event("fo-1", "step_started", "detect"))

    assert store.append(step_event("fo-2", "step_started", "detect")).seq == 2
    assert store.append(step_event("fo-1", "step_succeeded", "detect")).seq == 3


def test_first_event_of_a_run_must_be_run_started(store: Store) -> None:
    with pytest.raises(InvalidInput, match="no run_started") as caught:
        store.append(step_event("fo-1", "step_started", "detect"))

    assert not isinstance(caught.value, UnknownRun)
    with pytest.raises(UnknownRun):
        store.events("fo-1")


def test_starting_a_run_twice_raises_and_keeps_the_journal(store: Store) -> None:
    store.append(started("fo-1"))
    store.append(step_event("fo-1", "step_started", "detect"))

    with pytest.raises(InvalidInput, match="already started"):
        store.append(started("fo-1"))

    assert [e.type for e in store.events("fo-1")] == ["run_started", "step_started"]


def test_appending_to_an_unknown_run_raises_invalid_input(store: Store) -> None:
    store.append(started("fo-1"))

    with pytest.raises(InvalidInput):
        store.append(step_event("fo-2", "step_started", "detect"))

    assert store.run_ids() == ["fo-1"]


def test_events_of_an_unknown_run_raise_unknown_run(store: Store) -> None:
    store.append(started("fo-1"))

    with pytest.raises(UnknownRun) as caught:
        store.events("fo-2")

    assert caught.value.exit_code == 2


def test_append_many_gives_consecutive_seqs_in_order(store: Store) -> None:
    store.append(started("fo-1"))
    store.append(step_event("fo-1", "step_started", "scale"))

    written = store.append_many([step_event("fo-1", "change_started", "scale", target=f"s{i}")
                                 for i in range(3)])

    assert [e.seq for e in written] == [3, 4, 5]
    assert [(e.seq, e.data.get("target")) for e in store.events("fo-1")][2:] == [
        (3, "s0"), (4, "s1"), (5, "s2")]


def test_append_many_writes_batches_larger_than_one_transaction(store: Store) -> None:
    # DynamoDB's TransactWriteItems takes 100 items: 230 go in three transactions.
    store.append(started("fo-1"))

    written = store.append_many([step_event("fo-1", "change_applied", "scale", target=f"s{i}")
                                 for i in range(230)])

    assert [e.seq for e in written] == list(range(2, 232))
    assert [e.data["target"] for e in store.events("fo-1")[1:]] == [f"s{i}" for i in range(230)]


def test_append_many_may_start_the_run(store: Store) -> None:
    written = store.append_many([started("fo-1"), step_event("fo-1", "step_started", "a")])

    assert [e.seq for e in written] == [1, 2]
    assert store.run_ids() == ["fo-1"]


def test_append_many_to_a_run_not_started_writes_nothing(store: Store) -> None:
    store.append(started("fo-1"))

    with pytest.raises(InvalidInput, match="no run_started"):
        store.append_many([step_event("fo-1", "step_started", "a"),
                           step_event("fo-2", "step_started", "a")])

    assert [e.type for e in store.events("fo-1")] == ["run_started"]
    with pytest.raises(UnknownRun):
        store.events("fo-2")


def test_append_many_of_nothing_writes_nothing(store: Store) -> None:
    store.append(started("fo-1"))

    assert store.append_many([]) == []
    assert len(store.events("fo-1")) == 1


def test_concurrent_batches_never_share_a_seq_and_each_stays_whole(store: Store) -> None:
    store.append(started("fo-1"))
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            barrier.wait()
            for batch in range(4):
                store.append_many([step_event("fo-1", "change_started", name,
                                              target=f"{name}{batch}-{i}") for i in range(5)])
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    events = store.events("fo-1")[1:]
    assert [e.seq for e in events] == list(range(2, 42))
    targets = [e.data["target"] for e in events]
    for start in range(0, 40, 5):  # a batch is written whole: its five events side by side
        assert len({t.split("-")[0] for t in targets[start:start + 5]}) == 1


# --- run_ids ---------------------------------------------------------------------------------


def test_run_ids_are_newest_first(store: Store) -> None:
    # Ids sort the other way round from start times, so only time ordering passes.
    start_runs(store, ("c-oldest", "failover", 0), ("b-middle", "drill", 10),
               ("a-newest", "failover", 20))

    assert store.run_ids() == ["a-newest", "b-middle", "c-oldest"]


def test_run_ids_filter_by_kind(store: Store) -> None:
    start_runs(store, ("c-oldest", "failover", 0), ("b-middle", "drill", 10),
               ("a-newest", "failover", 20))

    assert store.run_ids("failover") == ["a-newest", "c-oldest"]
    assert store.run_ids("drill") == ["b-middle"]
    assert store.run_ids("runbook") == []


def test_run_ids_respect_the_limit(store: Store) -> None:
    start_runs(store, ("r1", "failover", 0), ("r2", "failover", 1), ("r3", "failover", 2))

    assert store.run_ids(limit=2) == ["r3", "r2"]


def test_run_ids_of_an_empty_store_are_empty(store: Store) -> None:
    assert store.run_ids() == []


# --- resolve ---------------------------------------------------------------------------------


def test_resolve_expands_a_unique_prefix(store: Store) -> None:
    start_runs(store, ("fo-20260101-aaa", "failover", 0), ("dr-20260101-bbb", "drill", 1))

    assert resolve(store, "fo-") == "fo-20260101-aaa"
    assert resolve(store, "dr-20260101-bbb") == "dr-20260101-bbb"


def test_resolve_prefers_an_exact_id_that_prefixes_another(store: Store) -> None:
    start_runs(store, ("fo-1", "failover", 0), ("fo-10", "failover", 1))

    assert resolve(store, "fo-1") == "fo-1"


def test_resolve_rejects_an_ambiguous_prefix(store: Store) -> None:
    start_runs(store, ("fo-1a", "failover", 0), ("fo-1b", "failover", 1), ("dr-1", "drill", 2))

    with pytest.raises(UnknownRun, match="ambiguous") as caught:
        resolve(store, "fo-1")

    assert "fo-1a" in str(caught.value)
    assert "fo-1b" in str(caught.value)


def test_resolve_rejects_an_unknown_id(store: Store) -> None:
    start_runs(store, ("fo-1", "failover", 0))

    with pytest.raises(UnknownRun, match="no run 'zz'"):
        resolve(store, "zz")


# --- SQLite only -----------------------------------------------------------------------------


def test_sqlite_journal_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    writer = SqliteStore(path)
    writer.append(started("fo-1"))
    writer.append(step_event("fo-1", "step_succeeded", "detect", output={"region": "us-east-1"}))
    writer.close()

    reader = SqliteStore(path)
    try:
        events = reader.events("fo-1")
        assert [(e.seq, e.type) for e in events] == [(1, "run_started"), (2, "step_succeeded")]
        assert events[1].data == {"output": {"region": "us-east-1"}}
        assert reader.run_ids("failover") == ["fo-1"]
        assert reader.append(step_event("fo-1", "run_finished", "x", status="succeeded")).seq == 3
    finally:
        reader.close()


def test_sqlite_second_instance_sees_events_while_the_first_is_open(tmp_path: Path) -> None:
    first, second = SqliteStore(tmp_path / "j.db"), SqliteStore(tmp_path / "j.db")
    try:
        first.append(started("fo-1"))
        assert [e.type for e in second.events("fo-1")] == ["run_started"]
    finally:
        first.close()
        second.close()


def test_sqlite_two_instances_alternating_never_reuse_a_seq(tmp_path: Path) -> None:
    a, b = SqliteStore(tmp_path / "j.db"), SqliteStore(tmp_path / "j.db")
    try:
        a.append(started("fo-1"))
        seqs = [(a if i % 2 else b).append(step_event("fo-1", "step_started", f"s{i}")).seq
                for i in range(6)]

        assert seqs == [2, 3, 4, 5, 6, 7]
        assert [e.step for e in a.events("fo-1")][1:] == [f"s{i}" for i in range(6)]
    finally:
        a.close()
        b.close()


def test_sqlite_two_instances_appending_concurrently_interleave_without_duplicates(
    tmp_path: Path,
) -> None:
    a, b = SqliteStore(tmp_path / "j.db"), SqliteStore(tmp_path / "j.db")
    a.append(started("fo-1"))
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(store: SqliteStore, name: str) -> None:
        try:
            barrier.wait()
            for i in range(20):
                store.append(step_event("fo-1", "step_started", f"{name}{i}"))
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(s, n)) for s, n in ((a, "a"), (b, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert failures == []
        events = a.events("fo-1")
        assert [e.seq for e in events] == list(range(1, 42))
        steps = [e.step for e in events[1:]]
        assert sorted(steps) == sorted([f"a{i}" for i in range(20)] + [f"b{i}" for i in range(20)])
        # Each writer's own events stay in the order it wrote them.
        assert [s for s in steps if s.startswith("a")] == [f"a{i}" for i in range(20)]
        assert [s for s in steps if s.startswith("b")] == [f"b{i}" for i in range(20)]
    finally:
        a.close()
        b.close()
