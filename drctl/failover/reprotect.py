"""`drctl reprotect --region R`: give the region just left a fresh replica of the current primary.

After a failover (or failback) the region left behind holds a stale database, and the next
failover would refuse to promote it. Re-protecting keeps that stale instance (renamed, never
deleted), creates a read replica of the current primary under the playbook's name, and waits
until it replicates. It changes only standby resources, so it asks no confirmation; it is a
journaled Run (kind `reprotect`) whose steps verify before they apply, so running it again
after a crash continues where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.aws.estate import Aws
from drctl.aws.rds import DbInstance
from drctl.core.clock import Clock, iso
from drctl.core.engine import Engine, new_run_id
from drctl.core.errors import InvalidInput, ResourceMissing
from drctl.core.run import Run
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover import lock
from drctl.failover.dns import active_regions, read_records
from drctl.failover.replication import current_primary
from drctl.playbook.schema import Playbook


@dataclass(frozen=True)
class ReprotectSpec:
    playbook: Playbook
    playbook_path: str
    region: str              # receives the new replica
    source: DbInstance       # the current primary
    source_region: str
    replica: str             # the playbook's name for the database in `region`
    instance_class: str | None = None

    def params(self) -> dict[str, Any]:
        return {"playbook": self.playbook.name, "playbook_path": self.playbook_path,
                "target_region": self.region, "source_region": self.source_region,
                "source": self.source.identifier, "replica": self.replica}


def resolve_reprotect(playbook: Playbook, playbook_path: str, region: str, aws: Aws,
                      source: str | None = None) -> ReprotectSpec:
    """Which database replicates into `region`, from which primary. Raises InvalidInput."""
    regions = list(playbook.regions)
    if region not in regions:
        raise InvalidInput(f"{region!r} is not a region of playbook {playbook.name!r} "
                           f"(its regions: {', '.join(regions)})")
    promote = playbook.scale.rds_promote
    if promote is None or region not in promote.replicas:
        raise InvalidInput(f"playbook {playbook.name!r} promotes no database in {region}: "
                           "there is nothing to re-protect",
                           hint="name it under scale.rds_promote.replicas")
    _, found = read_records(aws.route53(), playbook.dns, regions)
    first = playbook.dns.records[0]
    active = active_regions(first, found[first.name])
    if region in active or len(active) != 1:
        raise InvalidInput(f"{region} takes traffic now ({first.name} -> {', '.join(active)}): "
                           "re-protect the region the traffic left",
                           hint=f"e.g. `drctl reprotect --region "
                                f"{next((r for r in regions if r not in active), '…')}`")
    primary = current_primary(playbook, aws, active[0], source)
    recreate = promote.recreate.get(region)
    return ReprotectSpec(playbook, playbook_path, region, primary, active[0],
                         promote.replicas[region], recreate.instance_class if recreate else None)


class _ReprotectStep:
    name = "step"
    policy = StepPolicy(retries=2)

    def __init__(self, spec: ReprotectSpec, aws: Aws, clock: Clock) -> None:
        self.spec, self.aws, self.clock = spec, aws, clock
        self.rds = aws.rds(spec.region)

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def verify(self, ctx: StepContext) -> bool:
        return False

    def _current(self) -> DbInstance | None:
        try:
            return self.rds.instance(self.spec.replica)
        except ResourceMissing:
            return None

    def _replicates(self, db: DbInstance | None) -> bool:
        return (db is not None and db.source_region == self.spec.source_region
                and db.source_identifier == self.spec.source.identifier)


class KeepStale(_ReprotectStep):
    """The stale instance under the playbook's name is renamed aside: kept, never deleted."""

    name = "keep_stale"

    def verify(self, ctx: StepContext) -> bool:
        db = self._current()
        return db is None or self._replicates(db)

    def plan(self, ctx: StepContext) -> list[Change]:
        if self.verify(ctx):
            return []
        return [Change(self.name, "rename stale DB instance", self.spec.replica,
                       self.spec.region, self.spec.replica, stale_name(self.spec.replica,
                                                                       ctx.now()))]

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        new = stale_name(self.spec.replica, ctx.now())
        ctx.report(f"renaming stale {self.spec.region}/{self.spec.replica} to {new} (kept)")
        self.rds.rename(self.spec.replica, new)
        ctx.wait_until(lambda: self._current() is None and self.rds.exists(new),
                       timeout=self.spec.playbook.scale.timeout, interval=2.0,
                       what=f"{self.spec.replica} to be renamed to {new}")
        return {"kept_stale": {"region": self.spec.region, "was": self.spec.replica,
                               "now": new}}


class CreateReplica(_ReprotectStep):
    name = "create_replica"

    def verify(self, ctx: StepContext) -> bool:
        return self._replicates(self._current())

    def plan(self, ctx: StepContext) -> list[Change]:
        if self.verify(ctx):
            return []
        return [Change(self.name, "create read replica", self.spec.replica, self.spec.region,
                       "absent", f"replica of {self.spec.source_region}/"
                                 f"{self.spec.source.identifier}")]

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        spec = self.spec
        self.rds.create_read_replica(spec.replica, spec.source.arn, spec.instance_class)
        ctx.report(f"creating {spec.region}/{spec.replica} as a replica of "
                   f"{spec.source_region}/{spec.source.identifier}")
        return {"created": {"region": spec.region, "identifier": spec.replica,
                            "source": spec.source.arn or spec.source.identifier}}


class WaitReplicating(_ReprotectStep):
    """Available, linked to the primary, and reporting a replication lag: it replicates."""

    name = "wait_replicating"

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        since = ctx.now()
        lag: list[float] = []

        def replicating() -> bool:
            db = self._current()
            if not (self._replicates(db) and db is not None and db.status == "available"):
                return False
            point = self._lag_since(since)
            lag[:] = [point] if point is not None else []
            return point is not None

        waited = ctx.wait_until(replicating, timeout=self.spec.playbook.scale.timeout,
                                interval=2.0, what=f"{self.spec.region}/{self.spec.replica} "
                                                   "to replicate")
        return {"replicating_since": iso(ctx.now()), "replica_lag_seconds": lag[0],
                "waited_seconds": round(waited, 3)}

    def _lag_since(self, since: datetime) -> float | None:
        point = self.aws.cloudwatch(self.spec.region).latest_datapoint(
            "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": self.spec.replica}, self.clock.now())
        # Datapoints come per 60 s period, stamped with the period's start.
        if point is None or point[0] < 0 or point[1] < since.replace(second=0, microsecond=0):
            return None
        return point[0]


STEPS = (KeepStale, CreateReplica, WaitReplicating)


def stale_name(identifier: str, now: datetime) -> str:
    """RDS identifiers are at most 63 characters, letters, digits and hyphens."""
    suffix = f"-stale-{now.strftime('%Y%m%d%H%M%S')}"
    return identifier[: 63 - len(suffix)] + suffix


def plan_reprotect(spec: ReprotectSpec, aws: Aws, clock: Clock) -> list[Change]:
    ctx = StepContext("plan", clock)
    return [c for cls in STEPS for c in cls(spec, aws, clock).plan(ctx)]


def run_reprotect(spec: ReprotectSpec, aws: Aws, engine: Engine) -> Run:
    """Under the playbook's lock (no failover meanwhile), run the three steps. The lock is
    freed whatever happens: every step verifies first, so running it again continues."""
    run_id = new_run_id("reprotect", engine.clock)
    lock.acquire(engine.store, spec.playbook.name, run_id, engine.clock, engine.identity)
    try:
        engine.start("reprotect", spec.params(), run_id=run_id)
        steps = [cls(spec, aws, engine.clock) for cls in STEPS]
        return engine.execute(run_id, steps)
    finally:
        engine.store.release_lock(lock.lock_name(spec.playbook.name), run_id)
