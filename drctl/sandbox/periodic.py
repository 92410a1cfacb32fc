"""The sandbox's background parts (alarm evaluator, traffic watcher, ECS scheduler, lag
publisher) share one shape: do `tick()` every few seconds on a daemon thread until stopped.

A failing tick is logged and the next one runs: a dead thread would freeze part of the
embedded AWS without a word, and every test after it would measure a lie.
"""

from __future__ import annotations

import threading

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    name = "periodic"

    def __init__(self, interval: float, *, tick_at_start: bool = False) -> None:
        self._interval = interval
        self._tick_at_start = tick_at_start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def tick(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        if self._tick_at_start:
            self._safe_tick()
        while not self._stop.wait(self._interval):
            self._safe_tick()

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception as exc:  # keep going: the next tick may well succeed
            log.warning("sandbox_part_failed", part=self.name, error=str(exc))
