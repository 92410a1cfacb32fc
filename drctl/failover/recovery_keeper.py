"""Recovery advice journaled as the estate changes, not only when a run fails in the open.

A failover whose process is SIGKILLed, or whose host dies, never reaches the code that writes
its recovery advice on failure. So the advice (what changed, how to resume, how to roll back)
is journaled as soon as the run first changes something, and again when what it says changes
(a mutating step starts changing things, or finishes). A run that later succeeds drops it (the
journal fold clears it at `run_finished: succeeded`); one that stops in any way keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drctl.core.engine import Engine
from drctl.core.events import Event
from drctl.core.run import Run
from drctl.store.base import load_run

Advice = Callable[[Run], dict[str, Any] | None]


class RecoveryKeeper:
    """An engine subscriber for one run: journals `run_recovery` when its advice may change."""

    def __init__(self, engine: Engine, run_id: str, advise: Advice) -> None:
        self._engine, self._run_id, self._advise = engine, run_id, advise
        self._changing: set[str] = set()  # steps seen changing the estate

    def __call__(self, event: Event) -> None:
        if event.run_id != self._run_id or event.step is None:
            return
        if event.type == "change_applied" and event.step not in self._changing:
            self._changing.add(event.step)
            self.journal()
        elif event.type == "step_succeeded" and event.step in self._changing:
            self.journal()

    def journal(self) -> None:
        """Journal the run's advice now, if it has changed anything."""
        advice = self._advise(load_run(self._engine.store, self._run_id))
        if advice:
            self._engine.emit(self._run_id, "run_recovery", **advice)
