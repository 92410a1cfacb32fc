"""Ending an unfinished run on purpose, with the reason and who did it journaled."""

from __future__ import annotations

import getpass

from drctl.core.clock import Clock
from drctl.core.errors import InvalidInput
from drctl.core.events import Event
from drctl.core.run import Run, RunStatus
from drctl.core.store import Store, load_run


def abort_run(store: Store, clock: Clock, run_id: str, reason: str, force: bool = False) -> Run:
    """Mark the run aborted and release every lock it holds.

    InvalidInput if it already finished; Blocked while its process is alive (stop it first).
    """
    run = load_run(store, run_id)
    status = run.effective_status
    if status.finished:
        raise InvalidInput(f"run {run.run_id} already {status}")
    run.ensure_not_live(force)
    by = getpass.getuser()
    store.append(Event(run.run_id, "run_finished", clock.now(),
                       data={"status": str(RunStatus.ABORTED), "error": f"aborted by {by}: "
                             f"{reason}", "aborted_by": by, "reason": reason}))
    lock = run.params.get("lock")
    if lock:
        store.release_lock(str(lock), run.run_id)
    return load_run(store, run.run_id)
