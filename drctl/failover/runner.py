"""The failover as a Run: resolve what it is about, plan it, run its six steps, measure it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.core.clock import iso
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput
from drctl.core.run import Run
from drctl.core.step import Change, Step, StepContext
from drctl.failover.confirm import Confirm
from drctl.failover.detect import Detect
from drctl.failover.dns import active_regions, read_records
from drctl.failover.measure import measurement_from_facts
from drctl.failover.notify import Notify
from drctl.failover.scale_secondary import ScaleSecondary
from drctl.failover.smoke_test import SmokeTest
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.failover.switch_dns import SwitchDns
from drctl.playbook.schema import Playbook
from drctl.store.base import load_run

STEP_CLASSES = (Detect, Confirm, SwitchDns, ScaleSecondary, SmokeTest, Notify)
STEP_NAMES = tuple(cls.name for cls in STEP_CLASSES)


@dataclass(frozen=True)
class FailoverPlan:
    spec: FailoverSpec
    active_regions: list[str]
    changes: list[Change]

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.spec.playbook.name,
            "target_region": self.spec.target_region,
            "failed_region": self.spec.failed_region,
            "active_regions": self.active_regions,
            "steps": list(STEP_NAMES),
            "changes": [c.to_dict() for c in self.changes],
        }


def resolve_spec(
    playbook: Playbook, playbook_path: str, target: str, deps: FailoverDeps,
    options: FailoverOptions,
) -> tuple[FailoverSpec, list[str]]:
    """Check the target against the playbook and live DNS; find the region being failed.

    Raises InvalidInput (exit 2) for a region the playbook does not have, or one that already
    takes all the traffic; ResourceMissing for a zone or record that does not exist.
    """
    regions = list(playbook.regions)
    if target not in regions:
        raise InvalidInput(
            f"{target!r} is not a region of playbook {playbook.name!r} "
            f"(its regions: {', '.join(regions)})"
        )
    _, found = read_records(deps.aws.route53(), playbook.dns, regions)
    first = playbook.dns.records[0]
    active = active_regions(first, found[first.name])
    if active == [target]:
        raise InvalidInput(
            f"{target} is already the active region of {first.name}: nothing to fail over",
            hint="to fail back, target the other region",
        )
    others = [r for r in active if r != target]
    failed = others[0] if others else playbook.primary_region
    return FailoverSpec(playbook, playbook_path, target, failed, options), active


def build_steps(spec: FailoverSpec, deps: FailoverDeps) -> list[Step]:
    return [cls(spec, deps) for cls in STEP_CLASSES]


def plan_failover(spec: FailoverSpec, deps: FailoverDeps, active: list[str]) -> FailoverPlan:
    """Every change the failover would make, read live and touching nothing."""
    ctx = StepContext("plan", deps.clock)
    changes = [change for step in build_steps(spec, deps) for change in step.plan(ctx)]
    return FailoverPlan(spec, active, changes)


def run_failover(spec: FailoverSpec, deps: FailoverDeps, engine: Engine) -> Run:
    """Start and run a failover to the end. Raises DrctlError subclasses on failure; the run
    is journaled (with whatever was measured) either way."""
    run_id = engine.start("failover", failover_params(spec))
    try:
        engine.execute(run_id, build_steps(spec, deps))
    finally:
        record_measurement(engine, spec.playbook, run_id)
    return load_run(engine.store, run_id)


def record_measurement(engine: Engine, playbook: Playbook, run_id: str) -> None:
    facts = load_run(engine.store, run_id).facts()
    measurement = measurement_from_facts(playbook, facts)
    engine.emit(run_id, "run_measured", measurement=measurement.to_dict())


def failover_params(spec: FailoverSpec) -> dict[str, Any]:
    return {
        "playbook": spec.playbook.name,
        "playbook_path": spec.playbook_path,
        "target_region": spec.target_region,
        "failed_region": spec.failed_region,
        "yes": spec.options.yes,
        "incident_start_override": iso(spec.options.incident_start),
    }
