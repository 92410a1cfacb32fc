"""Pre-flight: may this experiment start now? Every check fails closed.

A check that cannot be made (AWS unreachable, an alarm that does not exist, an unreadable
setting) refuses the experiment just like a check that finds a reason to refuse it: chaos
during an incident is how a bad night gets worse, so "unknown" means "no".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from drctl.aws.estate import Aws
from drctl.chaos import kill_switch
from drctl.core.run import RunStatus
from drctl.failover.dns import active_regions, read_records
from drctl.playbook.schema import Playbook
from drctl.store.base import Store, list_runs

if TYPE_CHECKING:  # importing it at run time would import chaoslib
    from drctl.chaos.experiment import ChaosExperiment

UNFINISHED = (RunStatus.RUNNING, RunStatus.WAITING, RunStatus.INTERRUPTED)
ONE_AT_A_TIME = "one_at_a_time"  # the playbook's disruptive-run lock (drctl/core/exclusive.py)


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Preflight:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def refusals(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def adding(self, check: Check) -> Preflight:
        return Preflight((*self.checks, check))

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [asdict(c) for c in self.checks]}


def guard_alarms(experiment: ChaosExperiment, playbook: Playbook) -> dict[str, list[str]]:
    """Region -> alarm names that must not be in ALARM: the playbook's detection alarms in each
    of its regions, plus the experiment's guard alarms in each of its target regions."""
    alarms: dict[str, list[str]] = {r: playbook.alarms_for(r) for r in playbook.regions}
    for region in experiment.target_regions:
        for name in experiment.guard.alarms_in(region):
            if name not in alarms.setdefault(region, []):
                alarms[region].append(name)
    return alarms


def run_preflight(experiment: ChaosExperiment, stop_alarms: dict[str, list[str]],
                  playbook: Playbook, store: Store, aws: Aws, now: datetime) -> Preflight:
    """Every check, each failing closed. `stop_alarms` is `guard_alarms(...)`, computed once
    by the caller: the same alarms guard the run."""
    checks: list[tuple[str, Callable[[], str | None]]] = [
        ("kill_switch", lambda: _kill_switch(store)),
        ("failovers", lambda: _failovers(store)),
        ("guard_alarms", lambda: _alarms(aws, stop_alarms)),
        ("blocked_windows", lambda: _windows(experiment, now)),
        ("blast_radius", lambda: _blast_radius(experiment, playbook, aws)),
    ]
    return Preflight(tuple(_safely(name, check) for name, check in checks))


def _safely(name: str, check: Callable[[], str | None]) -> Check:
    """Run one check: None means clear; a string is the refusal; an exception refuses too."""
    try:
        refusal = check()
    except Exception as exc:  # fail closed, whatever went wrong
        return Check(name, False, f"could not check ({type(exc).__name__}: {exc})")
    return Check(name, refusal is None, refusal or "clear")


def _kill_switch(store: Store) -> str | None:
    switch = kill_switch.engaged(store)
    return switch.describe() if switch else None


def _failovers(store: Store) -> str | None:
    unfinished = [run for run in list_runs(store, "failover")
                  if run.effective_status in UNFINISHED]
    if not unfinished:
        return None
    described = ", ".join(f"{r.run_id} ({r.effective_status})" for r in unfinished)
    return (f"failover run(s) not finished: {described}; resume or abort them "
            "(`drctl runs abort`) first")


def alarms_in_alarm(aws: Aws, alarms: dict[str, list[str]]) -> list[str]:
    """`region/name` of every alarm in ALARM. Raises (ResourceMissing, AwsError) when an
    alarm cannot be read."""
    firing: list[str] = []
    for region, names in alarms.items():
        if names:
            firing += [f"{region}/{a.name}" for a in aws.cloudwatch(region).alarms(names)
                       if a.state == "ALARM"]
    return firing


def _alarms(aws: Aws, alarms: dict[str, list[str]]) -> str | None:
    firing = alarms_in_alarm(aws, alarms)
    return f"guard alarm(s) in ALARM: {', '.join(firing)}" if firing else None


def _windows(experiment: ChaosExperiment, now: datetime) -> str | None:
    inside = [w for w in experiment.guard.blocked_windows if w.contains(now)]
    return f"inside blocked window {inside[0].describe()}" if inside else None


def _blast_radius(experiment: ChaosExperiment, playbook: Playbook, aws: Aws) -> str | None:
    """Region-scope chaos (a simulated regional outage) may not hit the only serving region;
    resource- and AZ-scope chaos may, as in any production chaos practice."""
    if experiment.guard.scope != "region":
        return None
    if not experiment.target_regions:
        return "a region-scope experiment must name its target_regions"
    _, records = read_records(aws.route53(), playbook.dns, list(playbook.regions))
    first = playbook.dns.records[0]
    serving = active_regions(first, records[first.name])
    if not serving:
        return f"no region is serving {first.name}: region-scope chaos now would hide a real outage"
    if set(serving) <= set(experiment.target_regions):
        which = ", ".join(serving)
        only = "the only region" if len(serving) == 1 else "every region"
        return (f"{which} is {only} serving {first.name}: a region-scope experiment there "
                "would be a real outage")
    return None
