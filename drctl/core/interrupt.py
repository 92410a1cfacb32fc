"""The interruption port: how whoever hosts a run asks it to stop, without signals in the library.

The library never installs a signal handler. Whoever hosts runs owns one `Interruption` and
feeds it: the CLI from SIGINT/SIGTERM/SIGHUP (`drctl/cli/signals.py`), the controller from its
shutdown, a test from another thread. Runs read it at safe points (`check()`, between steps and
in every wait) and in their waits (`wait()`, which returns within milliseconds of a request),
so a stop takes effect within about a second on any thread.

Two strengths of stop:

- **graceful** (first Ctrl-C, SIGTERM, SIGHUP, a controller shutting down): stop at the next
  safe point and leave things tidy;
- **hard** (second Ctrl-C): stop as soon as possible, skipping what can be skipped safely.

What each kind of run does on each:

    run        graceful                                       hard
    failover   journaled `interrupted` at the next safe       the same: a failover has nothing
               point, its lock kept: resume it with           it could skip. Its steps verify
               `drctl failover --resume`, or end it with      before they apply, so a resume
               `drctl runs abort`                             never does work twice
    drill      its cleanup runs (the engine's `always`        the same: cleanup is never cut
               steps, shielded from further stops), then      short (it deletes what the drill
               the run ends `aborted`                         made); only SIGKILL skips it, and
                                                              `drctl drill cleanup` is for that
    chaos      the experiment's rollbacks run, journaled;     the experiment stops at once, its
               verdict `aborted` (chaoslib's SIGUSR1)         rollbacks do NOT run (SIGUSR2); a
                                                              third request kills it

A stop is raised into a run as `Interrupted`, a `KeyboardInterrupt`, so every place that handled
Ctrl-C before the port existed handles a stop from any source the same way. Code that must not
be cut short (a drill's cleanup, chaos's relay loop that reacts to stops itself) runs inside
`shielded()`: in that thread, `check()` raises nothing and the clocks' sleeps wait their full
time. Shields are per thread, so one run's cleanup does not protect another run's steps.

On the CLI's main thread a signal is also *delivered* (raised at once, as a plain Ctrl-C
would be) through `deliverable()`, so a run blocked in a long AWS call stops as it always did:
once per stop strength, and never into shielded code.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

CTRL_C = "Ctrl-C"


class StopKind(StrEnum):
    GRACEFUL = "graceful"
    HARD = "hard"


@dataclass(frozen=True)
class StopRequest:
    """One request to stop: how hard, why (`SIGTERM`, `Ctrl-C`, `controller shutdown`), and
    its number (1 for the first request, 2 for the second …)."""

    kind: StopKind
    reason: str
    number: int

    @property
    def hard(self) -> bool:
        return self.kind is StopKind.HARD


class Interrupted(KeyboardInterrupt):
    """A run was asked to stop. A KeyboardInterrupt, so Ctrl-C's handling applies unchanged."""

    def __init__(self, request: StopRequest) -> None:
        super().__init__(f"stop requested ({request.reason})")
        self.request = request
        self.run_id: str | None = None  # the run it stopped, once journaled
        self.hint: str | None = None    # the ways on from there, when the run says

    @property
    def reason(self) -> str:
        return self.request.reason


class Interruption:
    """The port. Thread-safe; requests are never withdrawn (a new port for a new run)."""

    def __init__(self) -> None:
        # Re-entrant: a signal handler runs on the main thread between any two bytecodes, also
        # while that thread is inside the port (a wait_for predicate, `requested`), and it
        # records its request here; a plain Lock would deadlock the process on that Ctrl-C.
        self._changed = threading.Condition(threading.RLock())
        self._requests: list[StopRequest] = []
        self._delivered: set[StopKind] = set()
        self._local = threading.local()

    # --- requesting (the host: CLI signal handlers, controller, tests) ------------------------

    def request_stop(self, reason: str, *, hard: bool = False) -> StopRequest:
        """Ask every run on this port to stop; wakes every `wait`. Returns the request."""
        with self._changed:
            kind = StopKind.HARD if hard else StopKind.GRACEFUL
            request = StopRequest(kind, reason, len(self._requests) + 1)
            self._requests.append(request)
            self._changed.notify_all()
            return request

    def escalate(self, reason: str) -> StopRequest:
        """Ctrl-C's ladder: the first request is graceful, every later one hard."""
        with self._changed:
            hard = bool(self._requests)
        return self.request_stop(reason, hard=hard)

    # --- querying (the runs) ------------------------------------------------------------------

    @property
    def requested(self) -> StopRequest | None:
        """The strongest request so far (a hard one wins), or None."""
        with self._changed:
            return _strongest(self._requests)

    @property
    def stop_requested(self) -> bool:
        return self.requested is not None

    @property
    def hard_requested(self) -> bool:
        request = self.requested
        return request is not None and request.hard

    @property
    def count(self) -> int:
        """How many requests so far (chaos counts presses: the third kills)."""
        with self._changed:
            return len(self._requests)

    def wait(self, seconds: float, *, newer_than: int = 0) -> bool:
        """Wait up to `seconds`; True as soon as more than `newer_than` requests were made
        (at once if there already are), False when the time is up with none."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._requests) > newer_than,
                                          timeout=max(0.0, seconds))

    def check(self) -> None:
        """A safe point: raise `Interrupted` if a stop was requested, unless shielded."""
        request = self.requested
        if request is not None and not self.shielded_here:
            raise Interrupted(request)

    # --- shields and delivery -----------------------------------------------------------------

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Code that must not be cut short, or that reacts to stops itself, in this thread."""
        self._local.depth = self._depth() + 1
        try:
            yield
        finally:
            self._local.depth = self._depth() - 1

    @property
    def shielded_here(self) -> bool:
        return self._depth() > 0

    def deliverable(self) -> Interrupted | None:
        """For a signal handler on the thread running the work: the interruption to raise now,
        or None (shielded, or this strength was already delivered once)."""
        request = self.requested
        if request is None or self.shielded_here:
            return None
        with self._changed:
            if request.kind in self._delivered:
                return None
            self._delivered.add(request.kind)
        return Interrupted(request)

    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))


def _strongest(requests: list[StopRequest]) -> StopRequest | None:
    hard = [r for r in requests if r.hard]
    if hard:
        return hard[0]
    return requests[0] if requests else None

