"""The store port moved to drctl/core/store.py (the core must not import a backend package);
this name stays so existing imports keep working."""

from drctl.core.lease import Lease, LeaseHeld, LeaseLost
from drctl.core.store import (
    LockHeld,
    LockHolder,
    Store,
    list_runs,
    list_summaries,
    load_run,
    resolve,
)

__all__ = ["Lease", "LeaseHeld", "LeaseLost", "LockHeld", "LockHolder", "Store", "list_runs",
           "list_summaries", "load_run", "resolve"]
