"""Running one experiment in its own process, and relaying what it reports.

The operator's Ctrl-C is the drctl process's: the first asks the experiment to stop with its
rollbacks (chaoslib's SIGUSR1), the second to stop now without them (SIGUSR2), and a third --
or an experiment that still has not stopped `HARD_STOP_GRACE` seconds after the second -- is
killed. The experiment process is only ever signalled by its pid.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queues
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import FrameType
from typing import Any

from drctl.chaos import child
from drctl.chaos.child import ChildRequest
from drctl.chaos.operator_stop import OperatorStop
from drctl.chaos.verdict import Stop

HARD_STOP_GRACE = 10.0
OnMessage = Callable[[str, dict[str, Any]], None]
OPERATOR_STOP = Stop("operator", "stopped by the operator (Ctrl-C)")
OPERATOR_HARD_STOP = Stop("operator", "stopped at once by the operator (second Ctrl-C)")


@dataclass(frozen=True)
class ChildResult:
    journal: dict[str, Any] | None
    stop: Stop | None
    exit_code: int | None


class OperatorStops:
    """The SIGINT handler while an experiment runs: counts presses and signals the child.
    It never raises, so a Ctrl-C cannot tear the relay loop in the middle of a message."""

    def __init__(self, pid: int, events: OperatorStop, on_message: OnMessage) -> None:
        self.pid = pid
        self._events = events
        self.presses = 0
        self.hard_deadline: float | None = None
        self._on_message = on_message

    def __call__(self, _signum: int, _frame: FrameType | None) -> None:
        self.presses += 1
        if self.presses == 1:
            self._events.graceful.set()
            self._signal(signal.SIGUSR1)
        elif self.presses == 2:
            self._events.hard.set()
            self._signal(signal.SIGUSR2)
            self.hard_deadline = time.monotonic() + HARD_STOP_GRACE
        else:
            self._signal(signal.SIGKILL)

    def announce(self, seen: int) -> int:
        """Tell the operator (outside the signal handler) what the new presses did."""
        notes = {1: "stopping: rollbacks will run (Ctrl-C again to stop at once)",
                 2: "stopping at once: rollbacks will NOT run"}
        for press in range(seen + 1, self.presses + 1):
            self._on_message("log", {"level": "warning",
                                     "message": notes.get(press, "killing the experiment")})
        return self.presses

    def escalate_if_overdue(self) -> None:
        if self.hard_deadline is not None and time.monotonic() > self.hard_deadline:
            self._signal(signal.SIGKILL)
            self.hard_deadline = None

    @property
    def stop(self) -> Stop | None:
        if self.presses == 0:
            return None
        return OPERATOR_STOP if self.presses == 1 else OPERATOR_HARD_STOP

    def _signal(self, signum: int) -> None:
        with suppress(ProcessLookupError):  # it has just ended by itself
            os.kill(self.pid, signum)


def run_in_child(request: ChildRequest, on_message: OnMessage) -> ChildResult:
    """Run the experiment in a spawned process; call `on_message` for each progress message
    (in this thread); return its journal and whoever stopped it."""
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    events = OperatorStop(context.Event(), context.Event())
    process = context.Process(target=child.main, args=(request, messages, events),
                              name="drctl-chaos")
    with _sigint_ignored():  # inherited: the child ignores Ctrl-C from its first instruction
        process.start()
    assert process.pid is not None
    stops = OperatorStops(process.pid, events, on_message)
    previous = signal.signal(signal.SIGINT, stops)
    try:
        journal, guard_stop = _relay(process, messages, stops, on_message)
    finally:
        signal.signal(signal.SIGINT, previous)
        _reap(process)
    return ChildResult(journal, stops.stop or guard_stop, process.exitcode)


def _relay(process: Any, messages: Any, stops: OperatorStops, on_message: OnMessage
           ) -> tuple[dict[str, Any] | None, Stop | None]:
    journal: dict[str, Any] | None = None
    guard_stop: Stop | None = None
    seen = 0
    for kind, data in _messages(process, messages, stops):
        seen = stops.announce(seen)
        if kind == "journal":
            journal = data["journal"]
        elif kind == "stopped":
            guard_stop = Stop(data["by"], data["reason"])
        on_message(kind, data)
    stops.announce(seen)
    return journal, guard_stop


def _messages(process: Any, messages: Any, stops: OperatorStops
              ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every message, until the process has ended and its queue is drained."""
    while True:
        try:
            yield messages.get(timeout=0.2)
            continue
        except queues.Empty:
            stops.escalate_if_overdue()
        if not process.is_alive():
            break
    while True:  # what it sent just before it ended
        try:
            yield messages.get(timeout=0.5)
        except queues.Empty:
            return


def _reap(process: Any) -> None:
    process.join(timeout=5)
    if process.is_alive():  # the relay was itself interrupted; leave nothing behind
        process.kill()
        process.join(timeout=5)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
