"""Pre-flight: is the target region fit to take the traffic? Checked before anything changes.

Each check fails closed: a check that cannot be made (an API error) counts as failed. A failed
check blocks the failover (exit 4) unless the operator says --force, which is journaled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from drctl.core.durations import format_duration
from drctl.core.errors import DrctlError
from drctl.failover.rpo import read_rpo
from drctl.failover.smoke_test import run_check
from drctl.failover.spec import FailoverDeps, FailoverSpec


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preflight(spec: FailoverSpec, deps: FailoverDeps) -> list[Check]:
    checks = (_alarms_ok, _app_healthy, _replication_lag, _capacity)
    results = []
    for check in checks:
        try:
            results.append(check(spec, deps))
        except DrctlError as exc:
            results.append(Check(check.__name__.strip("_"), False, f"could not check: {exc}"))
    return results


def _alarms_ok(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    alarms = deps.aws.cloudwatch(spec.target_region).alarms(
        spec.playbook.alarms_for(spec.target_region))
    firing = [a.name for a in alarms if a.state == "ALARM"]
    detail = f"in ALARM: {', '.join(firing)}" if firing else f"{len(alarms)} alarm(s) not firing"
    return Check("target_alarms_ok", not firing, detail)


def _app_healthy(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    failures = [f for f in (run_check(c, spec.endpoint) for c in spec.playbook.smoke_tests.checks)
                if f]
    return Check("target_app_healthy", not failures, "; ".join(failures) or "smoke checks pass")


def _replication_lag(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    now = deps.clock.now()
    reading, notes = read_rpo(spec.playbook.rpo, deps.aws, spec.failed_region,
                              spec.target_region, now, now)
    target = spec.playbook.targets.rpo
    if reading is None:
        return Check("replication_lag", False, "cannot measure: " + "; ".join(notes))
    ok = reading.seconds <= target
    return Check("replication_lag", ok, f"{format_duration(reading.seconds)} from "
                 f"{reading.source} (RPO target {format_duration(target)})")


def _capacity(spec: FailoverSpec, deps: FailoverDeps) -> Check:
    short = []
    for cfg in spec.playbook.scale.autoscaling:
        group = deps.aws.autoscaling(spec.target_region).group(cfg.group)
        if group.max_size < max(cfg.desired, group.desired):
            short.append(f"{cfg.group} max {group.max_size} < {cfg.desired}")
    return Check("capacity", not short, "; ".join(short) or "auto scaling groups can scale")
