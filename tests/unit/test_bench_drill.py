"""The drill benchmark's parallel work stops when it fails or is interrupted: the queued work
is cancelled and looping work is told to stop, so the sandbox's clean-up comes next (a `with
ThreadPoolExecutor()` block first ran every queued batch write of the table's fill)."""

from __future__ import annotations

import threading

import pytest

from bench.drill import in_parallel


def test_results_come_back_in_order() -> None:
    assert in_parallel(lambda n: n * n, range(20), workers=4) == [n * n for n in range(20)]


def test_a_failure_cancels_what_has_not_started() -> None:
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 0:
            raise RuntimeError("throttled for good")
        threading.Event().wait(0.2)  # a batch write in flight
        return n

    with pytest.raises(RuntimeError, match="throttled for good"):
        in_parallel(work, range(1000), workers=2)
    assert len(started) < 10  # of 1,000 queued (all of them ran before)


def test_a_failure_tells_looping_work_to_stop() -> None:
    stop = threading.Event()
    pages: list[int] = []

    def segment(index: int) -> int:
        if index == 0:
            raise KeyboardInterrupt
        while not stop.wait(timeout=0.01):
            pages.append(index)
            if len(pages) > 10_000:
                return -1  # never told to stop
        return 0

    with pytest.raises(KeyboardInterrupt):
        in_parallel(segment, range(2), workers=2, stop=stop)
    assert stop.is_set() and len(pages) <= 10_000
