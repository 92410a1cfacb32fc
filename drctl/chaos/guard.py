"""The in-run guard: at each activity boundary, should the experiment stop? (FIS's "stop
condition".) Stop when a stop alarm is in ALARM or the kill switch is engaged, and -- failing
closed -- when either cannot be read.

It lives in the experiment's process and is consulted by `drctl.chaos.guard_control`, the
chaoslib control that turns a stop into `InterruptExecution`. Rollbacks are never guarded: once
they start, stopping them would leave the damage in place.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.chaos import kill_switch
from drctl.chaos.preflight import alarms_in_alarm
from drctl.chaos.verdict import Stop
from drctl.store.base import Store
from drctl.store.open import open_store

Sink = Callable[[tuple[str, dict[str, Any]]], None]
# Alarms are read at most this often: boundaries can come in quick succession, and the
# guard's reads must not themselves exhaust a throttled API. (CloudWatch evaluates per minute.)
ALARM_READ_INTERVAL = 1.0
# How often the watcher checks between boundaries: a halt or a stop alarm must end a long pause
# or action within about a second, not when it happens to finish.
WATCH_INTERVAL = 0.5


@dataclass(frozen=True)
class GuardConfig:
    """What the guard watches; built by the drctl process, pickled to the experiment's."""

    store_url: str
    stop_alarms: dict[str, list[str]] = field(default_factory=dict)
    profile: str | None = None


class Guard:
    def __init__(self, config: GuardConfig, sink: Sink, operator_stop: Any = None,
                 aws: Aws | None = None, store: Store | None = None) -> None:
        self._config = config
        self._sink = sink
        self._operator_stop = operator_stop  # a multiprocessing Event, set on Ctrl-C
        self._aws = aws or Aws(ClientFactory(profile=config.profile))
        self._store = store or open_store(config.store_url, self._aws.factory)
        self._lock = threading.Lock()
        self._armed = True
        self._alarms_clear_at = float("-inf")
        self.stop: Stop | None = None

    @property
    def armed(self) -> bool:
        return self._armed

    @property
    def stopped(self) -> bool:
        """Has anything (guard, kill switch, operator) stopped the experiment?"""
        operator = self._operator_stop is not None and self._operator_stop.is_set()
        return self.stop is not None or operator

    def disarm(self) -> None:
        """Rollbacks are starting: from here on nothing is stopped."""
        with self._lock:
            self._armed = False

    def check(self) -> Stop | None:
        """The reason to stop now, or None. Once tripped it stays tripped; the first trip is
        reported to the drctl process."""
        with self._lock:
            if not self._armed:
                return None
            if self.stop is None:
                self.stop = self._reason()
                if self.stop is not None:
                    self._sink(("stopped", {"by": self.stop.by, "reason": self.stop.reason}))
            return self.stop

    def _reason(self) -> Stop | None:
        if self._operator_stop is not None and self._operator_stop.is_set():
            # Ctrl-C, SIGTERM, a host's shutdown: the drctl process knows which, and says so.
            return Stop("operator", "stopped by the operator")
        try:
            switch = kill_switch.engaged(self._store)
            if switch is not None:
                return Stop("kill_switch", switch.describe())
            if time.monotonic() - self._alarms_clear_at < ALARM_READ_INTERVAL:
                return None
            firing = alarms_in_alarm(self._aws, self._config.stop_alarms)
        except Exception as exc:  # fail closed: a guard that cannot see must stop the chaos
            return Stop("guard", f"guard check failed ({type(exc).__name__}: {exc})")
        if firing:
            return Stop("guard", f"stop alarm(s) in ALARM: {', '.join(firing)}")
        self._alarms_clear_at = time.monotonic()
        return None

    def watch(self, on_trip: Callable[[], None], interval: float = WATCH_INTERVAL) -> None:
        """Check every `interval` seconds on a daemon thread, not only at activity boundaries;
        when the guard trips (alarm, kill switch) while still armed, call `on_trip` once -- the
        caller interrupts whatever runs. An operator's stop is not tripped here: the drctl
        process has already signalled it."""
        def loop() -> None:
            while self._armed:
                stop = self.check()
                if stop is not None:
                    with self._lock:
                        if self._armed and stop.by != "operator":
                            on_trip()
                    return
                time.sleep(interval)

        threading.Thread(target=loop, name="drctl-guard-watch", daemon=True).start()

    def close(self) -> None:
        self._store.close()
