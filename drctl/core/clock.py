"""Time, injected. Decisions take `now`; waits go through `sleep` so tests never sleep for real.

Given an interruption port, both clocks' `sleep` is a safe point: it raises `Interrupted` when
a stop is requested (at once, or as soon as one arrives while sleeping), except in shielded
code, which sleeps its full time (see drctl/core/interrupt.py).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from drctl.core.interrupt import Interruption


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def __init__(self, interrupt: Interruption | None = None) -> None:
        self.interrupt = interrupt

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        port = self.interrupt
        if port is None or port.shielded_here:
            time.sleep(max(0.0, seconds))
        elif port.wait(seconds):
            port.check()


class FakeClock:
    """A clock for tests: `sleep` advances time instead of waiting."""

    def __init__(self, start: datetime | None = None, interrupt: Interruption | None = None
                 ) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []
        self.interrupt = interrupt

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        if self.interrupt is not None:
            self.interrupt.check()
        self.advance(seconds)
        self.slept.append(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with a trailing Z, or None."""
    if ts is None:
        return None
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a naive time is taken as UTC. Raises ValueError on garbage."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
