"""The interruption port (drctl/core/interrupt.py): requests, waits, safe points, shields, and
the clocks and step waits that stop through it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from drctl.cli.signals import stops_from_signals
from drctl.core.clock import FakeClock, SystemClock
from drctl.core.interrupt import CTRL_C, Interrupted, Interruption, StopKind
from drctl.core.step import StepContext
from tests.unit.helpers import T0


def later(seconds: float, action: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_a_fresh_port_asks_nothing() -> None:
    port = Interruption()
    assert port.requested is None and not port.stop_requested and port.count == 0
    port.check()  # no stop: nothing raised
    assert port.wait(0.01) is False


def test_a_graceful_request_is_recorded_with_its_reason() -> None:
    port = Interruption()
    request = port.request_stop("SIGTERM")
    assert (request.kind, request.reason, request.number) == (StopKind.GRACEFUL, "SIGTERM", 1)
    assert port.requested == request and port.stop_requested and not port.hard_requested


def test_ctrl_c_climbs_the_ladder_graceful_then_hard() -> None:
    port = Interruption()
    first, second, third = (port.escalate(CTRL_C) for _ in range(3))
    assert [r.kind for r in (first, second, third)] == [StopKind.GRACEFUL, StopKind.HARD,
                                                        StopKind.HARD]
    assert port.count == 3
    assert port.requested == second  # the strongest, first of its strength


def test_check_raises_an_interruption_that_ctrl_c_handling_catches() -> None:
    port = Interruption()
    port.request_stop("controller shutdown")
    with pytest.raises(KeyboardInterrupt) as raised:
        port.check()
    assert isinstance(raised.value, Interrupted)
    assert raised.value.reason == "controller shutdown"


def test_wait_returns_early_when_another_thread_requests_a_stop() -> None:
    port = Interruption()
    timer = later(0.1, lambda: port.request_stop("SIGTERM"))
    started = time.monotonic()
    assert port.wait(30) is True
    assert time.monotonic() - started < 5  # not the 30 s asked: woken by the request
    timer.join()


def test_wait_with_newer_than_wakes_only_on_a_new_request() -> None:
    port = Interruption()
    port.escalate(CTRL_C)
    assert port.wait(0.05, newer_than=1) is False  # the old request does not wake it
    timer = later(0.05, lambda: port.escalate(CTRL_C))
    assert port.wait(30, newer_than=1) is True
    timer.join()


def test_shielded_code_is_not_interrupted_in_its_own_thread_only() -> None:
    port = Interruption()
    port.request_stop("SIGTERM")
    seen: list[BaseException] = []

    def other_thread() -> None:
        try:
            port.check()
        except Interrupted as exc:
            seen.append(exc)

    with port.shielded():
        port.check()  # shielded: nothing raised
        assert port.deliverable() is None
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert len(seen) == 1  # the shield is per thread
    with pytest.raises(Interrupted):
        port.check()


def test_deliverable_once_per_strength() -> None:
    port = Interruption()
    assert port.deliverable() is None
    port.escalate(CTRL_C)
    first = port.deliverable()
    assert first is not None and not first.request.hard
    assert port.deliverable() is None
    port.escalate(CTRL_C)
    second = port.deliverable()
    assert second is not None and second.request.hard
    assert port.deliverable() is None


# --- the clocks and the step waits ----------------------------------------------------------


def test_system_clock_sleep_stops_within_a_second_of_a_request() -> None:
    port = Interruption()
    clock = SystemClock(port)
    timer = later(0.1, lambda: port.request_stop("SIGTERM"))
    started = time.monotonic()
    with pytest.raises(Interrupted):
        clock.sleep(60)
    assert time.monotonic() - started < 1.5
    timer.join()


def test_system_clock_sleeps_its_full_time_when_shielded() -> None:
    port = Interruption()
    port.request_stop("SIGTERM")
    clock = SystemClock(port)
    started = time.monotonic()
    with port.shielded():
        clock.sleep(0.2)
    assert time.monotonic() - started >= 0.2


def test_fake_clock_sleep_is_a_safe_point() -> None:
    port = Interruption()
    clock = FakeClock(T0, interrupt=port)
    clock.sleep(5)
    port.request_stop("test")
    with pytest.raises(Interrupted):
        clock.sleep(5)
    assert clock.slept == [5]


def test_wait_until_stops_on_a_request_from_another_thread() -> None:
    port = Interruption()
    ctx = StepContext("fo-1", SystemClock(port), interrupt=port)
    timer = later(0.1, lambda: port.request_stop("controller shutdown"))
    started = time.monotonic()
    with pytest.raises(Interrupted, match="controller shutdown"):
        ctx.wait_until(lambda: False, timeout=600, interval=5, what="something that never is")
    assert time.monotonic() - started < 1.5
    timer.join()


# --- the CLI's signal handlers --------------------------------------------------------------


def test_sigterm_becomes_a_graceful_stop_raised_in_the_main_thread() -> None:
    port = Interruption()
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised, stops_from_signals(port):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before this ends
    assert raised.value.reason == "SIGTERM" and not raised.value.request.hard
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


def test_a_signal_into_shielded_code_is_recorded_and_held() -> None:
    port = Interruption()
    held: list[str] = []
    with stops_from_signals(port, held=lambda request: held.append(request.reason)), \
            port.shielded():
        os.kill(os.getpid(), signal.SIGINT)
        assert port.wait(5)
    assert held == [CTRL_C] and port.requested is not None


# A real Ctrl-C whose handler runs while the main thread is inside the port (here: holding its
# lock, as it is while a wait_for predicate or `requested` runs). In a child process, so a
# deadlock fails this test by its timeout instead of hanging the suite.
SIGNAL_INSIDE_THE_PORT = """
import os, signal
from drctl.cli.signals import stops_from_signals
from drctl.core.interrupt import Interrupted, Interruption
port = Interruption()
try:
    with stops_from_signals(port):
        with port._changed:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
except Interrupted as stop:
    print("stopped:", stop.reason)
"""


def test_ctrl_c_while_the_main_thread_is_inside_the_port_does_not_deadlock() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SIGNAL_INSIDE_THE_PORT], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped: Ctrl-C"
