"""Step 4, scale_secondary: every scaling action in the target region in parallel, then wait.

ECS services go to at least their production size, Auto Scaling groups to at least their
desired capacity, and the region's read replica is promoted. Done = ECS services stable, the
groups' healthy in-service instances at capacity, the replica a standalone available instance.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from drctl.aws.ecs import ServiceState
from drctl.core.errors import ResourceMissing
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover.base import FailoverStep
from drctl.failover.spec import FailoverDeps, FailoverSpec
from drctl.playbook.schema import RdsRecreate

# Scaling calls made at once: enough that 200 services cost a few round trips, few enough to
# stay inside ECS's and Auto Scaling's per-account API rate limits.
MAX_PARALLEL = 32
POLL_INTERVAL = 1.0
RECREATE = "create and promote read replica"


@dataclass(frozen=True)
class Action:
    change: Change
    run: Callable[[], None]

    @property
    def needed(self) -> bool:
        return bool(self.change.before != self.change.after)


class ScaleSecondary(FailoverStep):
    name = "scale_secondary"
    policy = StepPolicy(retries=2)

    def __init__(self, spec: FailoverSpec, deps: FailoverDeps) -> None:
        super().__init__(spec, deps)
        self.region = spec.target_region

    def plan(self, ctx: StepContext) -> list[Change]:
        return [a.change for a in self.read("actions", self._actions, reuse=False) if a.needed]

    def unfinished(self) -> list[Change]:
        """What a failover that ended half way left undone here: services below production
        size, groups below capacity, a replica not promoted. A replica the playbook would
        create (failback) is not counted: its absence says nothing about a past failover."""
        return [a.change for a in self._actions()
                if a.needed and a.change.action != RECREATE]

    def verify(self, ctx: StepContext) -> bool:
        # The plan's read, seconds old, found work to do: not done, and no second read of
        # every service (0.4 s at 200 services) to learn it again.
        planned = self.recent("actions")
        if planned is not None and any(a.needed for a in planned):
            return False
        return self._at_capacity()

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        todo = [a for a in self.read("actions", self._actions, reuse=True) if a.needed]
        for a in todo:
            change = a.change
            ctx.report(f"{change.action} {change.target}: {change.before} -> {change.after}")
        ctx.record_changes([a.change for a in todo], applied=False)
        with ThreadPoolExecutor(max_workers=max(1, min(len(todo), MAX_PARALLEL))) as pool:
            futures = [(a, pool.submit(self._apply_one, ctx, a)) for a in todo]
            _journal_each(ctx, futures)
        waited = ctx.wait_until(self._at_capacity,
                                timeout=self.spec.playbook.scale.timeout, interval=POLL_INTERVAL,
                                what=f"capacity in {self.region} to be stable")
        return {"scaled": [a.change.to_dict() for a in todo],
                "stabilised_after_seconds": round(waited, 3)}

    @staticmethod
    def _apply_one(ctx: StepContext, action: Action) -> None:
        # On a worker thread: reports only; the journal is written from the step's thread.
        action.run()
        ctx.report(f"applied: {action.change.action} {action.change.target}")

    def _actions(self) -> list[Action]:
        return self._ecs() + self._asg() + self._rds()

    def _at_capacity(self) -> bool:
        """Done: every service stable at (at least) production size, every group's healthy
        in-service instances at its desired capacity, the replica promoted. Read in batches
        (10 services, 100 groups a call), so a poll costs a few calls however large the estate."""
        return self._services_stable() and self._groups_in_service() and self._rds_done()

    def _services_stable(self) -> bool:
        states = self._service_states()
        return all(states[cfg.cluster][name].desired >= production
                   and states[cfg.cluster][name].stable
                   for cfg in self.spec.playbook.scale.ecs
                   for name, production in cfg.services.items())

    def _service_states(self) -> dict[str, dict[str, ServiceState]]:
        """Every service of the playbook, by cluster, read at once across clusters."""
        clusters: dict[str, list[str]] = {}
        for cfg in self.spec.playbook.scale.ecs:
            clusters.setdefault(cfg.cluster, []).extend(cfg.services)
        if not clusters:
            return {}
        return self.deps.aws.ecs(self.region).services_in(clusters)

    def _groups_in_service(self) -> bool:
        wanted = {cfg.group: cfg.desired for cfg in self.spec.playbook.scale.autoscaling}
        if not wanted:
            return True
        groups = self.deps.aws.autoscaling(self.region).groups(list(wanted))
        return all(g.desired >= wanted[name] and g.in_service >= g.desired
                   for name, g in groups.items())

    def _rds_done(self) -> bool:
        promote = self.spec.playbook.scale.rds_promote
        if promote is None or self.region not in promote.replicas:
            return True
        return self._promoted(promote.replicas[self.region])

    def _ecs(self) -> list[Action]:
        ecs, out = self.deps.aws.ecs(self.region), []
        by_cluster = self._service_states()
        for cfg in self.spec.playbook.scale.ecs:
            states = by_cluster[cfg.cluster]
            for name, production in cfg.services.items():
                want = max(states[name].desired, production)
                change = Change(self.name, "scale ECS service", f"{cfg.cluster}/{name}",
                                self.region, states[name].desired, want)
                out.append(Action(change, partial(ecs.scale_service, cfg.cluster, name, want)))
        return out

    def _asg(self) -> list[Action]:
        asg, out = self.deps.aws.autoscaling(self.region), []
        configs = self.spec.playbook.scale.autoscaling
        states = asg.groups([cfg.group for cfg in configs]) if configs else {}
        for cfg in configs:
            state = states[cfg.group]
            want = max(state.desired, cfg.desired)
            change = Change(self.name, "set desired capacity", cfg.group, self.region,
                            state.desired, want)
            out.append(Action(change, partial(asg.set_desired, cfg.group, want)))
        return out

    def _rds(self) -> list[Action]:
        promote = self.spec.playbook.scale.rds_promote
        if promote is None or self.region not in promote.replicas:
            return []
        rds, ident = self.deps.aws.rds(self.region), promote.replicas[self.region]
        recreate = promote.recreate.get(self.region)
        try:
            db = rds.instance(ident)
        except ResourceMissing:
            if recreate is None:
                raise
            return [self._recreate_and_promote(ident, recreate)]
        change = Change(self.name, "promote read replica", ident, self.region,
                        "replica" if db.is_replica else "standalone", "standalone")
        return [Action(change, partial(self._promote_when_ready, ident))]

    def _promote_when_ready(self, ident: str) -> None:
        """Promote once the instance is available: on a resume it may still be being created
        (failback) or promoted (the crash came mid-promotion), and AWS refuses a promotion
        then; a replica that became standalone meanwhile needs nothing."""
        rds = self.deps.aws.rds(self.region)
        StepContext("promote", self.deps.clock).wait_until(
            lambda: rds.instance(ident).status == "available",
            timeout=self.spec.playbook.scale.timeout, interval=5.0,
            what=f"{ident} to be available before promotion")
        if rds.instance(ident).is_replica:
            rds.promote(ident)

    def _recreate_and_promote(self, ident: str, recreate: RdsRecreate) -> Action:
        """Failback: the region's old database is stale, so replicate the current primary
        there first, wait until the replica is available, then promote it."""
        source = self.deps.aws.rds(recreate.source_region).instance(recreate.source)
        change = Change(self.name, RECREATE, ident, self.region,
                        "absent", f"standalone (replica of {recreate.source_region}/"
                                  f"{recreate.source} first)")

        def run() -> None:
            rds = self.deps.aws.rds(self.region)
            rds.create_read_replica(ident, source.arn, recreate.instance_class)
            self._promote_when_ready(ident)

        return Action(change, run)

    def _promoted(self, ident: str) -> bool:
        try:
            db = self.deps.aws.rds(self.region).instance(ident)
        except ResourceMissing:
            return False  # a failback replica not created yet
        return not db.is_replica and db.status == "available"


def _journal_each(ctx: StepContext, futures: list[tuple[Action, Future[None]]]) -> None:
    """Journal every change that was made (desired counts before/after, the promotion), in
    order, then re-raise the first failure: what succeeded beside a failed call is on record.
    Those already made are written in one go, before waiting on a call still running (a
    promotion waits minutes): one durable write per wait, not one per change."""
    first: BaseException | None = None
    made: list[Change] = []
    for action, future in futures:
        if not future.done():
            ctx.record_changes(made)
            made = []
        try:
            future.result()
        except Exception as exc:
            first = first or exc
            continue
        made.append(action.change)
    ctx.record_changes(made)
    if first is not None:
        raise first
