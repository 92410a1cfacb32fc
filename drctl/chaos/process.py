"""Running one experiment in its own process, and relaying what it reports.

Stops come through the host's interruption port (drctl/core/interrupt.py), never a signal
handler here, so an experiment runs the same on the CLI's main thread and on a controller's
worker thread. The first (graceful) request -- Ctrl-C, SIGTERM, SIGHUP, a host shutting down --
asks the experiment to stop with its rollbacks (chaoslib's SIGUSR1); a hard one (a second
Ctrl-C) to stop now without them (SIGUSR2); a third request -- or an experiment that still has
not stopped `HARD_STOP_GRACE` seconds after a hard one -- kills it. The relay loop reads the port
every `POLL` seconds, shielded, so a stop is never raised into the middle of a message.

The experiment process leads its own session (drctl.chaos.child): the terminal's Ctrl-C reaches
only drctl, and the commands an experiment starts keep the default SIGINT. When the experiment
process has ended, whatever is left of its process group (a `sleep`, a load generator, a
`tc netem` script started by a `process` action) is killed. Processes are only ever signalled
by their pid or by that process group's id.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queues
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from drctl.chaos import child
from drctl.chaos.child import ChildRequest
from drctl.chaos.operator_stop import OperatorStop
from drctl.chaos.verdict import Stop
from drctl.core.interrupt import Interruption

HARD_STOP_GRACE = 10.0
POLL = 0.2
OnMessage = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class ChildResult:
    journal: dict[str, Any] | None
    stop: Stop | None
    exit_code: int | None


class OperatorStops:
    """Turns the port's stop requests into what the experiment process understands."""

    def __init__(self, pid: int, events: OperatorStop, port: Interruption,
                 on_message: OnMessage) -> None:
        self.pid = pid
        self._events = events
        self._port = port
        self._on_message = on_message
        self._seen = 0
        self._hard = False
        self.hard_deadline: float | None = None
        self.stop: Stop | None = None
        # Until the process says it has started, SIGUSR1/2 would kill it (the default action,
        # while Python and chaoslib are still loading): the events carry the stop, and the
        # signal is sent once it has started.
        self._started = False
        self._held: int | None = None

    def poll(self) -> None:
        """Act on the requests made since the last poll, and escalate an overdue hard stop."""
        count = self._port.count
        request = self._port.requested
        if count > self._seen and request is not None:
            self._seen = count
            self._act(request.reason, request.hard, count)
        if self.hard_deadline is not None and time.monotonic() > self.hard_deadline:
            self._signal(signal.SIGKILL)
            self.hard_deadline = None

    def _act(self, reason: str, hard: bool, count: int) -> None:
        if count >= 3:
            self._note("killing the experiment")
            self._signal(signal.SIGKILL)
        elif hard and not self._hard:
            self._hard = True
            self._events.hard.set()
            self._signal(signal.SIGUSR2)
            self.hard_deadline = time.monotonic() + HARD_STOP_GRACE
            self.stop = Stop("operator", f"stopped at once by the operator ({reason})")
            self._note(f"stopping at once ({reason}): rollbacks will NOT run")
        elif self.stop is None:
            self._events.graceful.set()
            self._signal(signal.SIGUSR1)
            self.stop = Stop("operator", f"stopped by the operator ({reason})")
            self._note(f"stopping ({reason}): rollbacks will run (Ctrl-C again to stop at once)")

    def _note(self, message: str) -> None:
        self._on_message("log", {"level": "warning", "message": message})

    def started(self) -> None:
        """The experiment process has started: send the stop signal held until now."""
        self._started = True
        if self._held is not None:
            self._signal(self._held)

    def _signal(self, signum: int) -> None:
        if not self._started and signum != signal.SIGKILL:
            self._held = signum
            return
        with suppress(ProcessLookupError):  # it has just ended by itself
            os.kill(self.pid, signum)


def run_in_child(request: ChildRequest, on_message: OnMessage, port: Interruption
                 ) -> ChildResult:
    """Run the experiment in a spawned process; call `on_message` for each progress message
    (in this thread); return its journal and whoever stopped it. Any thread may call it."""
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    events = OperatorStop(context.Event(), context.Event())
    process = context.Process(target=child.main, args=(request, messages, events),
                              name="drctl-chaos")
    with port.shielded():  # the loop reacts to stops itself; nothing may cut it short
        process.start()
        assert process.pid is not None
        stops = OperatorStops(process.pid, events, port, on_message)
        try:
            journal, guard_stop = _relay(process, messages, stops, on_message)
        finally:
            _reap(process)
    return ChildResult(journal, stops.stop or guard_stop, process.exitcode)


def _relay(process: Any, messages: Any, stops: OperatorStops, on_message: OnMessage
           ) -> tuple[dict[str, Any] | None, Stop | None]:
    journal: dict[str, Any] | None = None
    guard_stop: Stop | None = None
    for kind, data in _messages(process, messages, stops):
        if kind == "started":
            stops.started()
            continue
        if kind == "journal":
            journal = data["journal"]
        elif kind == "stopped":
            guard_stop = Stop(data["by"], data["reason"])
        on_message(kind, data)
    return journal, guard_stop


def _messages(process: Any, messages: Any, stops: OperatorStops
              ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every message, until the process has ended and its queue is drained."""
    while True:
        stops.poll()
        try:
            yield messages.get(timeout=POLL)
            continue
        except queues.Empty:
            pass
        if not process.is_alive():
            break
    while True:  # what it sent just before it ended
        try:
            yield messages.get(timeout=0.5)
        except queues.Empty:
            return


def _reap(process: Any) -> None:
    process.join(timeout=5)
    if process.is_alive():  # the relay itself failed; leave nothing behind
        process.kill()
        process.join(timeout=5)
    kill_leftovers(process.pid)


def kill_leftovers(group: int | None) -> None:
    """Kill what the experiment started and left running: its process group (the experiment
    process leads it). Nothing happens when the group is already empty."""
    if group:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
