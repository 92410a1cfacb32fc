"""`drctl chaos run --dry-run`: what would run, and whether pre-flight would let it. Changes
nothing and journals nothing.

Each activity is shown as a reviewer needs it: for a `process` provider the full command line,
for a `python` provider the call with its arguments, for `http` the method and URL -- all of it
runs with the operator's credentials.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.preflight import ONE_AT_A_TIME, Check, Preflight, guard_alarms, run_preflight
from drctl.chaos.runner import ChaosDeps
from drctl.core.exclusive import holder_in_the_way
from drctl.core.identity import Identity
from drctl.core.store import Store


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
            "acting_regions": list(exp.acting_regions),
            "scope": exp.guard.scope,
            "rollback_strategy": exp.rollback_strategy,
            "exclusive": exp.exclusive,
            "stop_alarms": self.stop_alarms,
            "preflight": self.preflight.to_dict(),
            "steady_state_probes": [_activity(a) for a in exp.hypothesis_probes],
            "method": [_activity(a) for a in exp.method],
            "rollbacks": [_activity(a) for a in exp.rollbacks],
        }


def plan_chaos(experiment: ChaosExperiment, deps: ChaosDeps, store: Store, now: datetime,
               identity: Identity) -> ChaosPlan:
    alarms = guard_alarms(experiment, deps.playbook)
    preflight = run_preflight(experiment, alarms, deps.playbook, store, deps.aws, now)
    holder = holder_in_the_way(store, deps.playbook.name, identity)
    if experiment.exclusive and holder is not None:
        preflight = preflight.adding(Check(ONE_AT_A_TIME, False, "another disruptive run of "
                                           f"this playbook is in progress: {holder.describe()}"))
    else:
        preflight = preflight.adding(Check(ONE_AT_A_TIME, True, "clear"))
    return ChaosPlan(experiment, alarms, preflight)


def _activity(activity: dict[str, Any]) -> dict[str, Any]:
    provider = activity.get("provider") or {}
    return {"type": activity.get("type", "ref"), "name": activity.get("name", activity.get("ref")),
            "provider": provider.get("type"), "target": _target(provider),
            "runs": runs(provider), "arguments": provider.get("arguments", {})}


def _target(provider: dict[str, Any]) -> str:
    return str(provider.get("url") or provider.get("path") or ".".join(
        str(part) for part in (provider.get("module"), provider.get("func")) if part))


def runs(provider: dict[str, Any]) -> str:
    """What the provider would run, in full, as a reviewer reads it."""
    kind, arguments = provider.get("type"), provider.get("arguments")
    if kind == "process":
        if isinstance(arguments, list):
            return shlex.join([str(provider.get("path", "")), *map(str, arguments)])
        return " ".join(part for part in (str(provider.get("path", "")),
                                          str(arguments or "")) if part)
    if kind == "python":
        call = ", ".join(f"{k}={v!r}" for k, v in (arguments or {}).items())
        return f"{provider.get('module')}.{provider.get('func')}({call})"
    if kind == "http":
        return f"{str(provider.get('method', 'GET')).upper()} {provider.get('url')}"
    return _target(provider)
