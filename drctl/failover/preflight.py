"""Pre-flight: is the target region fit to take the traffic? Checked before anything changes.

Each check fails closed: a check that cannot be made (an API error) counts as failed. How a
failed check counts depends on what it protects:

- `hard`: never overridden — the database to promote is not replicating from the region being
  left, so promoting it would serve stale data (the way out is `drctl reprotect`);
- `normal`: blocks (exit 4) unless the operator says --force, which is journaled;
- `advisory`: reported and journaled, never blocking. Replication lag in a real outage: the
  data beyond the RPO is already lost, and blocking would only add RTO ("RPO will be missed").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from drctl.core.durations import format_duration
from drctl.core.errors import DrctlError
from drctl.failover.dependencies import (
    Findings,
    check_images,
    check_parameters,
    check_secrets,
)
from drctl.failover.replication import replica_status, reprotect_hint
from drctl.failover.rpo_stores import notes_of, read_stores, worst
from drctl.failover.s3_preflight import check_s3_replication
from drctl.failover.smoke_test import run_check
from drctl.failover.spec import FailoverDeps, FailoverSpec

Severity = Literal["hard", "normal", "advisory"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    severity: Severity = "normal"
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def blocks(self, force: bool) -> bool:
        if self.ok or self.severity == "advisory":
            return False
        return self.severity == "hard" or not force


def preflight(spec: FailoverSpec, deps: FailoverDeps) -> list[Check]:
    outage = failed_region_down(spec, deps)
    checks = (_alarms_ok, _app_healthy, _database_replicating, _replication_lag,
              _database_lag, _capacity, _s3_replication, _secrets, _parameters, _images)
    results = []
    for check in checks:
        try:
            found = check(spec, deps)
        except DrctlError as exc:
            found = Check(check.__name__.strip("_"), False, f"could not check: {exc}")
        if found is None:
            continue
        if found.name in LAG_CHECKS and outage and not found.ok:
            found = Check(found.name, False, f"RPO will be missed: {found.detail}", "advisory")
        results.append(found)
    return results


# In a real outage these only say what is already lost.
LAG_CHECKS = ("replication_lag", "database_lag")


def lag_checks(spec: FailoverSpec, deps: FailoverDeps) -> list[Check]:
    """The replication-lag checks alone, read again (a planned switch waiting for them)."""
    found = []
    for check in (_replication_lag, _database_lag):
        try:
            result = check(spec, deps)
        except DrctlError as exc:
            result = Check(check.__name__.strip("_"), False, f"could not check: {exc}")
        if result is not None:
            found.append(result)
    return found


def only_lag_blocks(blocking: list[Check]) -> bool:
    """What blocks is replication lag alone: waiting may clear it."""
    return bool(blocking) and all(c.name in LAG_CHECKS for c in blocking)


def failed_region_down(spec: FailoverSpec, deps: FailoverDeps) -> bool:
    """A real outage: a detection alarm of the region being left fires, or it cannot be read.
    Otherwise this is a planned switch, and the old region is still up and writing."""
    try:
        alarms = deps.aws.cloudwatch(spec.failed_region).alarms(
            spec.playbook.alarms_for(spec.failed_region))
    except DrctlError:
        return True
    return any(a.state == "ALARM" for a in alarms)


def _alarms_ok(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    alarms = deps.aws.cloudwatch(spec.target_region).alarms(
        spec.playbook.alarms_for(spec.target_region))
    firing = [a.name for a in alarms if a.state == "ALARM"]
    detail = f"in ALARM: {', '.join(firing)}" if firing else f"{len(alarms)} alarm(s) not firing"
    return Check("target_alarms_ok", not firing, detail)


def _app_healthy(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    checks = spec.playbook.smoke_tests.checks
    failures = [f for f in (run_check(c, spec.endpoint, deps.http) for c in checks) if f]
    return Check("target_app_healthy", not failures, "; ".join(failures) or "smoke checks pass")


def _database_replicating(spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    status = replica_status(spec.playbook, deps.aws, spec.target_region, spec.failed_region)
    if status is None:
        return None
    if spec.finishing and status.standalone:
        # Traffic already goes here: the failover being finished promoted it; it is the primary.
        return Check("database_replicating", True, f"{spec.target_region}/{status.identifier} "
                     "is already promoted (traffic goes to it)")
    hint = None if status.ok else reprotect_hint(spec.target_region, spec.failed_region)
    return Check("database_replicating", status.ok, status.detail, "hard", hint)


def _replication_lag(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    now = deps.clock.now()
    stores = read_stores(spec.playbook.rpo, deps.aws, spec.failed_region,
                         spec.target_region, now, now, spec.replica)
    reading = worst(stores)
    target = spec.playbook.targets.rpo
    if reading is None:
        return Check("replication_lag", False, "cannot measure: " + "; ".join(notes_of(stores)))
    per_store = "; ".join(f"{s.store} {format_duration(s.reading.seconds)} from "
                          f"{s.reading.source}" for s in stores if s.reading)
    # A better source that gave nothing (a misnamed heartbeat table) is said, not hidden
    # behind the coarser source that answered.
    skipped = "; ".join(notes_of(stores))
    return Check("replication_lag", reading.seconds <= target,
                 f"{per_store} (RPO target {format_duration(target)})"
                 + (f"; not used: {skipped} (see `drctl validate {spec.playbook_path}`)"
                    if skipped else ""))


def _database_lag(spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    """The promoted database's own replication (RDS `ReplicaLag`): a broken RDS replication
    must not hide behind a healthy heartbeat table."""
    status = replica_status(spec.playbook, deps.aws, spec.target_region, spec.failed_region)
    if status is None or status.will_be_created or not status.ok:
        return None
    now = deps.clock.now()
    point = deps.aws.cloudwatch(spec.target_region).latest_datapoint(
        "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": status.identifier}, now)
    name = f"ReplicaLag of {spec.target_region}/{status.identifier}"
    if point is None:
        return Check("database_lag", False, f"cannot measure: no recent {name} datapoint")
    value, _ = point
    if value < 0:
        return Check("database_lag", False, f"{name} is {value:g}: replication is not active")
    target = spec.playbook.targets.rpo
    return Check("database_lag", value <= target, f"{name} {format_duration(value)} "
                 f"(RPO target {format_duration(target)})")


def _capacity(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    configs = spec.playbook.scale.autoscaling
    # One read for every group (100 a call), not a call per group.
    groups = (deps.aws.autoscaling(spec.target_region).groups([c.group for c in configs])
              if configs else {})
    short = []
    for cfg in configs:
        group = groups.get(cfg.group)
        if group is None:
            short.append(f"{cfg.group} not found in {spec.target_region}")
        elif group.max_size < max(cfg.desired, group.desired):
            short.append(f"{cfg.group} max {group.max_size} < {cfg.desired}")
    return Check("capacity", not short, "; ".join(short) or "auto scaling groups can scale")


# What the application needs in the target region (playbook `dependencies:`): each missing
# thing is named with where it should come from; fails closed like every check here.
def _s3_replication(spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    if not any(s.s3 for s in spec.playbook.rpo_sources):
        return None
    found = check_s3_replication(spec.playbook, deps.aws, spec.failed_region, spec.target_region)
    hint = (f"aws s3api get-bucket-replication --bucket {bucket} --region "
            f"{spec.failed_region}" for bucket in _s3_buckets(spec))
    return Check("s3_replication", not found.problems,
                 found.detail("S3 source(s)", f"replicating to {spec.target_region}"),
                 hint="; ".join(hint) if found.problems else None)


def _s3_buckets(spec: FailoverSpec) -> list[str]:
    return sorted({s.s3.bucket_in(spec.failed_region) for s in spec.playbook.rpo_sources
                   if s.s3})


def _secrets(spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    return _dependencies("secrets_in_target", "secret(s)", check_secrets,
                         spec.playbook.dependencies.secrets, spec, deps)


def _parameters(spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    return _dependencies("parameters_in_target", "parameter(s)", check_parameters,
                         spec.playbook.dependencies.parameters, spec, deps)


def _images(spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    return _dependencies("images_in_target", "image(s)", check_images,
                         spec.playbook.dependencies.images, spec, deps)


def _dependencies(name: str, what: str, check: Callable[..., Findings], items: list[Any],
                  spec: FailoverSpec, deps: FailoverDeps) -> Check | None:
    if not items:
        return None
    found = check(items, deps.aws, spec.failed_region, spec.target_region)
    hint = (f"put them in {spec.target_region} (see each problem), then `drctl plan --region "
            f"{spec.target_region}`") if found.problems else None
    return Check(name, not found.problems, found.detail(what), hint=hint)
