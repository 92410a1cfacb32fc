"""Fidelity fixes: where moto differs from AWS in a way drctl depends on, the sandbox corrects it.

Every fix here states AWS's behaviour in its docstring and has a test in
`tests/e2e/test_sandbox.py` that asserts that behaviour through boto3, so when moto itself is
fixed the test keeps passing and the fix can be deleted.

The fixes patch moto's backend classes in the supervisor process only (moto's backends are
process-global) and are applied once, before the moto server answers its first request.
Written against moto 5.1/5.2 (`moto.rds.models`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.rds.exceptions import DBInstanceNotFoundError
from moto.rds.models import DBInstance, RDSBackend

# moto's backends are process-global, so its unpatched methods are too: kept here so that a
# fix can call through to moto, and so that applying the fixes twice is harmless.
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
    """AWS: `PromoteReadReplica` makes the replica a standalone instance. Afterwards the promoted
    instance has no `ReadReplicaSourceDBInstanceIdentifier`, and the source no longer lists it in
    `ReadReplicaDBInstanceIdentifiers` -- also for a cross-region replica, where the source lists
    the replica by ARN.

    moto: clears the replica flag only; both links survive, so a promoted cross-region replica
    still names its source and drctl cannot verify a failover's `promote` step.
    """
    database = self.describe_db_instances(db_kwargs["db_instance_identifier"])[0]
    source_id = database.source_db_instance_identifier if database.is_replica else None
    promoted: DBInstance = _ORIGINALS["promote_read_replica"](self, db_kwargs)
    if source_id:
        _detach_from_source(self, promoted, source_id)
        promoted.source_db_instance_identifier = None
    return promoted


def remove_replica(self: DBInstance, replica: DBInstance) -> None:
    """AWS: deleting a cross-region read replica removes it from the source's
    `ReadReplicaDBInstanceIdentifiers`.

    moto: lists cross-region replicas by ARN but removes them by identifier, so
    `DeleteDBInstance` of a cross-region replica fails with an internal error (and a drill that
    cleans up its replica cannot).
    """
    for reference in (replica.db_instance_arn, replica.db_instance_identifier):
        if reference in self.replicas:
            self.replicas.remove(reference)


def _detach_from_source(backend: RDSBackend, replica: DBInstance, source_id: str) -> None:
    try:
        source = backend.find_db_from_id(source_id)
    except DBInstanceNotFoundError:
        return  # the source is gone already (as in a regional failover); nothing lists us
    remove_replica(source, replica)


_FIXES: dict[str, tuple[type, Callable[..., Any]]] = {
    "promote_read_replica": (RDSBackend, promote_read_replica),
    "remove_replica": (DBInstance, remove_replica),
}


def apply_fidelity_fixes() -> list[str]:
    """Patch moto in this process. Idempotent. Returns the names of the fixes in force."""
    for name, (owner, fix) in _FIXES.items():
        if name not in _ORIGINALS:
            _ORIGINALS[name] = getattr(owner, name)
            setattr(owner, name, fix)
    return sorted(_FIXES)
