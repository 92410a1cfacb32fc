"""Is the database a failover would promote still receiving the primary's data?

After a failover, the region left behind holds a stale database: nothing replicates into it,
and promoting it again would serve data as old as that failover. A failover only promotes a
replica of the region being failed; anything else is refused before anything changes, and
`drctl reprotect` is the way out (a fresh replica of the current primary).
"""

from __future__ import annotations

from dataclasses import dataclass

from drctl.aws.estate import Aws
from drctl.aws.rds import DbInstance
from drctl.core.errors import AwsError, InvalidInput, ResourceMissing
from drctl.playbook.schema import Playbook


@dataclass(frozen=True)
class ReplicaStatus:
    """The playbook's database in `region` as seen against the primary in `source_region`."""

    region: str
    identifier: str
    ok: bool
    detail: str
    will_be_created: bool = False
    standalone: bool = False


def replica_status(playbook: Playbook, aws: Aws, region: str, source_region: str,
                   ) -> ReplicaStatus | None:
    """None when the playbook promotes no database in `region`."""
    promote = playbook.scale.rds_promote
    if promote is None or region not in promote.replicas:
        return None
    ident = promote.replicas[region]
    try:
        db = aws.rds(region).instance(ident)
    except ResourceMissing:
        if region in promote.recreate:
            src = promote.recreate[region]
            return ReplicaStatus(region, ident, True, f"{region}/{ident} will be created as a "
                                 f"replica of {src.source_region}/{src.source} during the run",
                                 will_be_created=True)
        return ReplicaStatus(region, ident, False, f"{region}/{ident} does not exist")
    return _judge(db, region, source_region, aws)


def _judge(db: DbInstance, region: str, source_region: str, aws: Aws) -> ReplicaStatus:
    name = f"{region}/{db.identifier}"
    if not db.is_replica:
        return ReplicaStatus(region, db.identifier, False,
                             f"{name} is a standalone database, not a replica of {source_region}: "
                             "nothing has replicated into it since it was promoted, so promoting "
                             "it would serve stale data", standalone=True)
    if db.source_region != source_region:
        return ReplicaStatus(region, db.identifier, False,
                             f"{name} replicates from {db.source_region}/{db.source_identifier}, "
                             f"not from {source_region}, the region being left")
    try:
        source = aws.rds(source_region).instance(db.source_identifier or "")
    except (AwsError, ResourceMissing):
        # The failed region's API may be down in an outage: the replica is still a replica.
        return ReplicaStatus(region, db.identifier, True,
                             f"{name} is a replica of {source_region}/{db.source_identifier} "
                             f"({source_region} unreadable)")
    if source.is_replica:
        return ReplicaStatus(region, db.identifier, False,
                             f"{name} replicates from {source_region}/{source.identifier}, which "
                             "is itself a replica, not the primary")
    return ReplicaStatus(region, db.identifier, True,
                         f"{name} replicates from {source_region}/{source.identifier}")


def reprotect_hint(region: str, source_region: str) -> str:
    return (f"`drctl reprotect --region {region}` replaces it with a fresh replica of the "
            f"primary in {source_region} (the stale instance is kept, renamed)")


def current_primary(playbook: Playbook, aws: Aws, region: str, explicit: str | None = None,
                    ) -> DbInstance:
    """The standalone database in `region` that serves writes now.

    Candidates, in order: `explicit`; the playbook's database for `region` (once promoted, it is
    the primary); what the other regions' playbook databases replicate from; the `recreate`
    sources that live in `region`. Raises InvalidInput when none is a standalone instance.
    """
    rds = aws.rds(region)
    for ident in _candidates(playbook, aws, region, explicit):
        try:
            db = rds.instance(ident)
        except ResourceMissing:
            continue
        if not db.is_replica:
            return db
    raise InvalidInput(
        f"cannot tell which database in {region} is the primary: none of the playbook's "
        "databases there is a standalone instance",
        hint="name it with --source DB_INSTANCE")


def _candidates(playbook: Playbook, aws: Aws, region: str, explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    promote = playbook.scale.rds_promote
    if promote is None:
        return []
    found = [promote.replicas[region]] if region in promote.replicas else []
    for other, ident in promote.replicas.items():
        if other == region:
            continue
        try:
            db = aws.rds(other).instance(ident)
        except ResourceMissing:
            continue
        if db.source_region == region and db.source_identifier:
            found.append(db.source_identifier)
    found += [r.source for r in promote.recreate.values() if r.source_region == region]
    return list(dict.fromkeys(found))
