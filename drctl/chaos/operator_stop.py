"""The operator's Ctrl-C, as the experiment's process sees it.

The drctl process sets `OperatorStop`'s events *and* sends chaoslib's signal (SIGUSR1 on the
first Ctrl-C: stop, rollbacks played; SIGUSR2 on the second: stop now, no rollbacks). The
signal interrupts whatever runs; the events are needed because chaoslib still plays an
activity's pause when the signal interrupted the activity itself (the pause sits in a
`finally`), and because a signal that arrives before chaoslib installed its handlers is
ignored -- the guard then stops the run at the next activity boundary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol


class Armed(Protocol):
    @property
    def armed(self) -> bool: ...

    @property
    def stop(self) -> Any: ...


@dataclass(frozen=True)
class OperatorStop:
    """Set by the drctl process on the operator's first (graceful) and second (hard) Ctrl-C."""

    graceful: Any  # multiprocessing Events of the spawn context
    hard: Any

    def exit_code(self, rollbacks_started: bool) -> int | None:
        """chaoslib's own exit codes: 30 stops without rollbacks, 20 with them. Once rollbacks
        run, only a hard stop interrupts them."""
        if self.hard.is_set():
            return 30
        if self.graceful.is_set() and not rollbacks_started:
            return 20
        return None


class InterruptiblePauses:
    """Stands in for the `time` module inside `chaoslib.activity`, whose only use of it is an
    activity's pauses: a pause ends as soon as the operator, the kill switch or a stop alarm
    stops the experiment."""

    def __init__(self, stop: OperatorStop, guard: Armed) -> None:
        self._stop = stop
        self._guard = guard

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + max(0.0, float(seconds))
        while (left := deadline - time.monotonic()) > 0:
            code = self._stop.exit_code(rollbacks_started=not self._guard.armed)
            if code is None and self._guard.armed and self._guard.stop is not None:
                code = 20  # a halt or a stop alarm: as the operator's graceful stop
            if code is not None:
                raise SystemExit(code)
            time.sleep(min(0.1, left))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)
