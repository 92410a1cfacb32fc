"""`drctl validate` against the live estate: is each heartbeat table there, and written?

A heartbeat table is the RPO's best source. A misnamed table, or one nothing writes or
replicates any more, does not fail a failover: its RPO silently falls back to a coarser source
(a replication-lag metric), or to "not measured". So `validate` looks, in every region, for the
heartbeat the region taking the traffic writes (the key with `{failed_region}` = that region):
present, and no older than the RPO target. Each finding points at the playbook line concerned:
`table:` for a table that is not there, `key:` for a heartbeat missing or stale.

A region in outage (its detection alarms fire) neither writes heartbeats nor receives them: a
heartbeat missing or stale there, or written by it, says nothing about the playbook. Right
after a failover away from it, that is the normal state. Such a finding is returned apart, as
not checked, saying why — never as a problem, nor silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from drctl.aws.estate import Aws
from drctl.core.durations import format_duration
from drctl.core.errors import DrctlError, ResourceMissing
from drctl.failover.rpo import when
from drctl.playbook.problems import Loc, Problem
from drctl.playbook.schema import HeartbeatSource, Playbook


@dataclass
class Findings:
    """What `validate` found wrong, and what it could not judge (each at its playbook entry)."""

    problems: list[Problem] = field(default_factory=list)
    not_checked: list[Problem] = field(default_factory=list)


def heartbeat_problems(playbook: Playbook, aws: Aws, active: str | None, now: datetime,
                       down: Mapping[str, str] | None = None) -> Findings:
    """What is wrong with each heartbeat source, in each region; `active` takes the traffic.
    When no single region does (DNS split or unreadable), only the tables are checked. `down`:
    the regions in outage, with why; a missing or stale heartbeat read in one, or written by
    one, is not checked."""
    found, down = Findings(), down or {}
    writer = active or playbook.primary_region
    for store, sources in playbook.rpo.items():
        for i, source in enumerate(sources):
            if source.heartbeat is None:
                continue
            loc: Loc = ("rpo", store, i, "heartbeat")
            for region in playbook.regions:
                problem = _problem(source.heartbeat, aws, region, writer, now,
                                   playbook.targets.rpo)
                if problem is None or (active is None and problem[0] != "table"):
                    continue
                outage = next((r for r in (region, writer) if r in down), None)
                if problem[0] == "key" and outage is not None:
                    found.not_checked.append(Problem((*loc, "key"), _not_checked(
                        outage, down[outage], problem[1])))
                else:
                    found.problems.append(Problem((*loc, problem[0]), problem[1]))
    return found


def _not_checked(region: str, why: str, finding: str) -> str:
    return (f"not checked while {region} is in outage ({why}; a region down neither writes "
            f"nor receives heartbeats), validate again once it is back: {finding}")


def _problem(src: HeartbeatSource, aws: Aws, region: str, active: str, now: datetime,
             max_age: float) -> tuple[str, str] | None:
    """(the key at fault, what is wrong), or None when the heartbeat is there and fresh."""
    key = {k: v.replace("{failed_region}", active) for k, v in src.key.items()}
    try:
        item = aws.dynamodb(region).get_item(src.table, key)
    except ResourceMissing:
        return "table", f"heartbeat table {src.table} not found in {region}"
    except DrctlError as exc:
        return "key", f"heartbeat {key} in {src.table} ({region}) could not be read: {exc}"
    if item is None or src.timestamp_attribute not in item:
        return "key", (f"no heartbeat {key} in {src.table} ({region}): {active} takes the "
                       f"traffic, so its heartbeat must be written there"
                       f"{'' if region == active else ' and replicated here'}")
    try:
        age = (now - when(item[src.timestamp_attribute])).total_seconds()
    except (TypeError, ValueError) as exc:
        return "key", f"heartbeat {key} in {src.table} ({region}): unreadable " \
                      f"{src.timestamp_attribute}: {exc}"
    if age > max_age:
        doing = "written" if region == active else "replicated here"
        return "key", (f"heartbeat {key} in {src.table} ({region}) is {format_duration(age)} "
                       f"old, more than the RPO target {format_duration(max_age)}: is it "
                       f"being {doing}?")
    return None
