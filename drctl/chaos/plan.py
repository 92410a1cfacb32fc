"""`drctl chaos run --dry-run`: what would run, and whether pre-flight would let it. Changes
nothing and journals nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.preflight import Preflight, guard_alarms, run_preflight
from drctl.chaos.runner import ChaosDeps
from drctl.store.base import Store


@dataclass(frozen=True)
class ChaosPlan:
    experiment: ChaosExperiment
    stop_alarms: dict[str, list[str]]
    preflight: Preflight

    def to_dict(self) -> dict[str, Any]:
        exp = self.experiment
        return {
            "experiment": exp.title,
            "experiment_path": exp.path,
            "target_regions": list(exp.target_regions),
            "scope": exp.guard.scope,
            "rollback_strategy": exp.rollback_strategy,
            "stop_alarms": self.stop_alarms,
            "preflight": self.preflight.to_dict(),
            "steady_state_probes": [_activity(a) for a in exp.hypothesis_probes],
            "method": [_activity(a) for a in exp.method],
            "rollbacks": [_activity(a) for a in exp.rollbacks],
        }


def plan_chaos(experiment: ChaosExperiment, deps: ChaosDeps, store: Store,
               now: datetime) -> ChaosPlan:
    alarms = guard_alarms(experiment, deps.playbook)
    return ChaosPlan(experiment, alarms,
                     run_preflight(experiment, deps.playbook, store, deps.aws, now))


def _activity(activity: dict[str, Any]) -> dict[str, Any]:
    provider = activity.get("provider") or {}
    target = provider.get("url") or provider.get("path") or ".".join(
        str(part) for part in (provider.get("module"), provider.get("func")) if part)
    return {"type": activity.get("type", "ref"), "name": activity.get("name", activity.get("ref")),
            "provider": provider.get("type"), "target": target,
            "arguments": provider.get("arguments", {})}
