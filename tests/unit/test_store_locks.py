"""The lock and settings half of the store contract, against every backend."""

from __future__ import annotations

import threading

import pytest

from drctl.store.base import LockHeld, LockHolder, Store
from tests.unit.helpers import T0


def holder(run_id: str, name: str = "failover:roadtrip", pid: int = 1) -> LockHolder:
    return LockHolder(name, run_id, "alice", "host-a", pid, T0)


def test_a_free_lock_is_taken_and_read_back(store: Store) -> None:
    assert store.lock("failover:roadtrip") is None
    store.acquire_lock(holder("run-1"))
    assert store.lock("failover:roadtrip") == holder("run-1")


def test_a_held_lock_refuses_another_run_naming_the_holder(store: Store) -> None:
    store.acquire_lock(holder("run-1"))
    with pytest.raises(LockHeld) as refused:
        store.acquire_lock(holder("run-2"))
    assert refused.value.holder == holder("run-1")
    assert refused.value.exit_code == 4
    assert "run-1 by alice on host-a (pid 1)" in str(refused.value)
    assert store.lock("failover:roadtrip") == holder("run-1")


def test_a_resumed_run_takes_its_lock_over_from_the_holder_it_observed(store: Store) -> None:
    store.acquire_lock(holder("run-1", pid=1))
    observed = store.lock("failover:roadtrip")
    store.acquire_lock(holder("run-1", pid=2), replace=observed)  # resumed, in a new process
    current = store.lock("failover:roadtrip")
    assert current is not None and current.pid == 2


def test_of_two_resumes_of_one_run_only_one_takes_the_lock(store: Store) -> None:
    store.acquire_lock(holder("run-1", pid=1))
    observed = store.lock("failover:roadtrip")  # both resumes saw the crashed holder
    store.acquire_lock(holder("run-1", pid=2), replace=observed)
    with pytest.raises(LockHeld) as second:
        store.acquire_lock(holder("run-1", pid=3), replace=observed)
    assert second.value.holder.pid == 2
    with pytest.raises(LockHeld):
        store.acquire_lock(holder("run-1", pid=4))  # no observation: never a takeover


def test_only_the_holder_releases(store: Store) -> None:
    store.acquire_lock(holder("run-1"))
    assert store.release_lock("failover:roadtrip", "run-2") is False
    assert store.lock("failover:roadtrip") is not None
    assert store.release_lock("failover:roadtrip", "run-1") is True
    assert store.lock("failover:roadtrip") is None
    store.acquire_lock(holder("run-2"))


def test_locks_are_independent_by_name(store: Store) -> None:
    store.acquire_lock(holder("run-1", name="failover:a"))
    store.acquire_lock(holder("run-2", name="failover:b"))
    assert {store.lock("failover:a").run_id, store.lock("failover:b").run_id} == {  # type: ignore[union-attr]
        "run-1", "run-2"}


def test_free_locks_are_taken_at_once_and_held_ones_left_to_their_holders(store: Store) -> None:
    store.acquire_lock(holder("run-1", name="claim:b"))
    wanted = [holder("run-2", name=f"claim:{n}") for n in "abc"]
    taken = store.acquire_free_locks(wanted)
    assert [h.name for h in taken] == ["claim:a", "claim:c"]
    assert store.lock("claim:a") == wanted[0] and store.lock("claim:b") == holder(
        "run-1", name="claim:b")
    assert store.acquire_free_locks(wanted) == []


def test_several_settings_are_written_and_deleted_at_once(store: Store) -> None:
    store.put_setting("c", "old")
    store.put_settings({"a": "1", "b": "2", "c": None})
    assert [store.get_setting(k) for k in "abc"] == ["1", "2", None]


def test_concurrent_acquirers_exactly_one_wins(store: Store) -> None:
    for round_ in range(10):
        name = f"failover:race-{round_}"
        barrier = threading.Barrier(8)
        winners: list[str] = []

        def contend(i: int, name: str = name, barrier: threading.Barrier = barrier,
                    winners: list[str] = winners) -> None:
            barrier.wait()
            try:
                store.acquire_lock(holder(f"run-{i}", name=name))
                winners.append(f"run-{i}")
            except LockHeld:
                pass

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1
        assert store.lock(name).run_id == winners[0]  # type: ignore[union-attr]


def test_settings_put_get_delete(store: Store) -> None:
    assert store.get_setting("chaos.kill_switch") is None
    store.put_setting("chaos.kill_switch", '{"reason": "game day"}')
    assert store.get_setting("chaos.kill_switch") == '{"reason": "game day"}'
    store.put_setting("chaos.kill_switch", "replaced")
    assert store.get_setting("chaos.kill_switch") == "replaced"
    store.put_setting("chaos.kill_switch", None)
    assert store.get_setting("chaos.kill_switch") is None
    store.put_setting("chaos.kill_switch", None)  # deleting nothing is fine
