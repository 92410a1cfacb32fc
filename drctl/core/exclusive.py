"""One disruptive run per playbook at a time: a chaos experiment or a restoring drill.

Two experiments injecting faults into the same estate at once make both verdicts meaningless
(which one caused the deviation?), and a drill restoring while an experiment degrades the API
measures the experiment, not the backup. So a disruptive run holds the playbook's
`disruptive:<playbook>` lock in the journal store while it runs -- the same store, so operators
and controllers sharing it see one another -- and another one is refused (Blocked, exit 4),
naming the holder. An experiment that says it may run alongside others (`"exclusive": false` in
its `drctl` extension) takes no lock.

A holder whose run has ended, or whose process is known dead (same host, pid gone), is taken
over: a crash never blocks chaos for good. `exclusive_run` is the one rule; the CLI's commands
and the controller's schedules all go through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from drctl.core.clock import Clock
from drctl.core.errors import Blocked, UnknownRun
from drctl.core.identity import Identity, Owner
from drctl.core.run import RunStatus
from drctl.core.store import LockHeld, LockHolder, Store, load_run

ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ABORTED, RunStatus.INTERRUPTED)


def lock_name(playbook: str) -> str:
    return f"disruptive:{playbook}"


@contextmanager
def exclusive_run(store: Store, playbook: str, run_id: str, clock: Clock, identity: Identity,
                  *, exclusive: bool = True) -> Iterator[None]:
    """Hold the playbook's disruptive-run lock for `run_id` while the body runs (released
    whatever happens). Raises Blocked naming the holder when another run holds it. With
    `exclusive=False` (the run opted in to running alongside others) nothing is taken."""
    if not exclusive:
        yield
        return
    acquire(store, playbook, run_id, clock, identity)
    try:
        yield
    finally:
        store.release_lock(lock_name(playbook), run_id)


def acquire(store: Store, playbook: str, run_id: str, clock: Clock,
            identity: Identity) -> LockHolder:
    holder = LockHolder(lock_name(playbook), run_id, identity.user, identity.host, identity.pid,
                        clock.now())
    try:
        return store.acquire_lock(holder)
    except LockHeld as exc:
        if not gone(store, exc.holder, identity):
            raise blocked(exc.holder) from None
        stale = exc.holder
    try:
        return store.acquire_lock(holder, replace=stale)
    except LockHeld as again:  # someone else took it over first
        raise blocked(again.holder) from None


def holder_in_the_way(store: Store, playbook: str, identity: Identity) -> LockHolder | None:
    """The live holder that would refuse a disruptive run now (for dry runs), or None."""
    holder = store.lock(lock_name(playbook))
    return None if holder is None or gone(store, holder, identity) else holder


def gone(store: Store, holder: LockHolder, identity: Identity) -> bool:
    """True when the holder's run has ended or its process is known dead (its pid on this
    host, or elsewhere its run lease expired: `interrupted`)."""
    try:
        if load_run(store, holder.run_id).effective_status in ENDED:
            return True
    except UnknownRun:
        pass  # between taking the lock and starting its run: judged by its process
    return identity.owner_alive(Owner(holder.user, holder.host, holder.pid)) is False


def blocked(holder: LockHolder) -> Blocked:
    return Blocked(f"another disruptive run of this playbook is in progress: {holder.describe()}"
                   " -- one chaos experiment or restoring drill per playbook at a time",
                   hint=f"wait for it to end (`drctl runs show {holder.run_id}`), or let an "
                        "experiment run alongside others with \"exclusive\": false in its "
                        "drctl extension")
