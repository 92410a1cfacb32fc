"""`drctl validate` against the live estate: is each heartbeat table there, and written?

A heartbeat table is the RPO's best source. A misnamed table, or one nothing writes or
replicates any more, does not fail a failover: its RPO silently falls back to a coarser source
(a replication-lag metric), or to "not measured". So `validate` looks, in every region, for the
heartbeat the region taking the traffic writes (the key with `{failed_region}` = that region):
present, and no older than the RPO target. Each finding points at the playbook line concerned:
`table:` for a table that is not there, `key:` for a heartbeat missing or stale.
"""

from __future__ import annotations

from datetime import datetime

from drctl.aws.estate import Aws
from drctl.core.durations import format_duration
from drctl.core.errors import DrctlError, ResourceMissing
from drctl.failover.rpo import when
from drctl.playbook.problems import Loc, Problem
from drctl.playbook.schema import HeartbeatSource, Playbook


def heartbeat_problems(playbook: Playbook, aws: Aws, active: str | None, now: datetime
                       ) -> list[Problem]:
    """What is wrong with each heartbeat source, in each region; `active` takes the traffic.
    When no single region does (DNS split or unreadable), only the tables are checked."""
    problems = []
    for store, sources in playbook.rpo.items():
        for i, source in enumerate(sources):
            if source.heartbeat is None:
                continue
            loc: Loc = ("rpo", store, i, "heartbeat")
            for region in playbook.regions:
                problem = _problem(source.heartbeat, aws, region,
                                   active or playbook.primary_region, now, playbook.targets.rpo)
                if problem is not None and (active is not None or problem[0] == "table"):
                    problems.append(Problem((*loc, problem[0]), problem[1]))
    return problems


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
