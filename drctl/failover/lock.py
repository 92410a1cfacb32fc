"""One failover per playbook at a time, and no crashed one forgotten.

The lock is taken before anything is read or changed, and is kept by a run that stopped half
way (interrupted, or failed after it began changing the estate): the next operator is told to
resume or abort it, never allowed to start over on top of it.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from drctl.core.clock import Clock, iso
from drctl.core.errors import Blocked, UnknownRun
from drctl.core.identity import Identity, Owner
from drctl.core.run import Run, RunStatus
from drctl.failover.recovery import MUTATING_STEPS, changed_steps
from drctl.store.base import LockHeld, LockHolder, Store, load_run

log = structlog.get_logger("drctl.failover")

__all__ = ["MUTATING_STEPS", "acquire", "lock_name", "settle"]


def lock_name(playbook: str) -> str:
    return f"failover:{playbook}"


# A holder whose run never started died while it was only reading AWS (resolving the target,
# planning): nothing was changed. On another host, after this long, it is taken to be gone.
NEVER_STARTED_GRACE = 600.0


def acquire(store: Store, playbook: str, run_id: str, clock: Clock, identity: Identity,
            replace: LockHolder | None = None) -> LockHolder:
    """Take the playbook's lock for `run_id`; a resumed run passes the holder it observed in
    `replace` and takes its own lock over only if nobody else did first.

    Raises Blocked (exit 4) naming the holder and, for a dead one, the two ways out.
    """
    holder = LockHolder(lock_name(playbook), run_id, identity.user, identity.host, identity.pid,
                        clock.now())
    try:
        return store.acquire_lock(holder, replace)
    except LockHeld as exc:
        stale = exc.holder
        if not _never_started_and_gone(store, stale, clock, identity):
            raise _blocked(store, stale, clock, identity) from None
    log.warning("stale_lock_taken_over", lock=holder.name, holder=stale.describe())
    try:
        return store.acquire_lock(holder, stale)
    except LockHeld as again:
        raise _blocked(store, again.holder, clock, identity) from None


def _never_started_and_gone(store: Store, holder: LockHolder, clock: Clock,
                            identity: Identity) -> bool:
    try:
        load_run(store, holder.run_id)
        return False
    except UnknownRun:
        pass
    alive = identity.owner_alive(Owner(holder.user, holder.host, holder.pid))
    if alive is not None:
        return not alive
    return (clock.now() - holder.acquired_at).total_seconds() > NEVER_STARTED_GRACE


def settle(store: Store, playbook: str, run_id: str) -> bool:
    """Release the lock if the run is over or never touched anything; True if released."""
    try:
        run = load_run(store, run_id)
    except UnknownRun:
        return store.release_lock(lock_name(playbook), run_id)
    touched = bool(changed_steps(run))
    done = run.status in (RunStatus.SUCCEEDED, RunStatus.ABORTED)
    if done or (run.status is RunStatus.FAILED and not touched):
        return store.release_lock(lock_name(playbook), run_id)
    return False


def _blocked(store: Store, holder: LockHolder, clock: Clock, identity: Identity) -> Blocked:
    """The refusal: a holder whose run is alive (its pid here, its lease elsewhere, or
    nobody can tell) is in progress; one whose process is gone is `interrupted`."""
    try:
        run: Run | None = load_run(store, holder.run_id, now=clock.now(), identity=identity)
    except UnknownRun:
        run = None  # the holder is between taking the lock and starting
    status = run.effective_status if run is not None else RunStatus.RUNNING
    # Ending a run that changed the estate needs --force without a terminal: the hint must
    # be a command that works wherever it is read (a script, `--json`, a pager).
    force = " --force" if run is not None and changed_steps(run) else ""
    ways_out = (f"resume it with `drctl failover --resume {holder.run_id}` or end it with "
                f"`drctl runs abort {holder.run_id} --reason \"…\"{force}`")
    if status in (RunStatus.RUNNING, RunStatus.WAITING):
        follow = f"follow it with `drctl runs show {holder.run_id}`" if run is not None \
            else "run this again in a moment (it is reading the estate before its run starts)"
        # On this host a gone process is seen at once: it would not be "in progress".
        here = identity.on_this_host(Owner(holder.user, holder.host, holder.pid))
        return Blocked(f"a failover of this playbook is in progress: {holder.describe()}",
                       hint=f"wait for it, or {follow}"
                            + ("" if here else "; " + _if_gone(run, holder)))
    return Blocked(f"an unfinished failover of this playbook is {status}: {holder.describe()}",
                   hint=ways_out)


def _if_gone(run: Run | None, holder: LockHolder) -> str:
    resume = f"`drctl failover --resume {holder.run_id}`"
    if run is None:  # it was still reading the estate: nothing changed, no run to resume
        free = iso(holder.acquired_at + timedelta(seconds=NEVER_STARTED_GRACE))
        return (f"if {holder.host} is gone, it changed nothing: from {free} on, a new "
                "failover takes its lock over")
    if run.lease is not None:
        return (f"if {holder.host} is gone, the run shows interrupted once its lease expires "
                f"({iso(run.lease.expires_at)}); then {resume}")
    return f"if {holder.host} is gone, `drctl failover --resume {holder.run_id} --takeover`"
