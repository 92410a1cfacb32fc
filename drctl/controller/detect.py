"""When the failover criteria hold: which alarms, `any`/`all`, for how long (a pure function).

The criteria hold since an alarm *transition* (CloudWatch's own timestamp), not since the
controller happened to look, so a controller started in the middle of an incident waits only
what is left of `for`, and the detection latency is measured from data AWS recorded.

When the region's alarms cannot be read at all (its CloudWatch API is down with it), the
alarms say nothing: then the region's Route53 health checks -- every one on the playbook's
records for that region -- all failing count as the outage signal, held since the controller
first saw both (there is no AWS timestamp for "unreadable"), with the same `for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drctl.aws.cloudwatch import AlarmState
from drctl.core.clock import iso
from drctl.playbook.schema import Playbook

ALARM = "ALARM"


@dataclass(frozen=True)
class Detection:
    playbook: str
    region: str              # the region failing
    alarms: tuple[str, ...]  # those in ALARM
    holds_since: datetime    # the alarm transition from which the criteria hold
    met_at: datetime         # holds_since + `for`: when the failover was due
    signal: str = "alarms"   # or "alarms unreadable, health checks failing"
    failing_checks: tuple[str, ...] = ()
    decided_at: datetime | None = None  # when the watch saw it and claimed the incident

    def to_dict(self, opened_at: datetime) -> dict[str, Any]:
        decided = self.decided_at or opened_at
        return {
            # Where the latency went: the watch seeing the criteria met, then the failover's
            # own start (its lock, the target, reading every resource it will touch).
            "decided_at": iso(decided),
            "decision_seconds": round((decided - self.met_at).total_seconds(), 3),
            "opening_seconds": round((opened_at - decided).total_seconds(), 3),
            "region": self.region, "signal": self.signal, "alarms": list(self.alarms),
            "failing_health_checks": list(self.failing_checks),
            "alarm_transition_at": iso(self.holds_since), "criteria_met_at": iso(self.met_at),
            "opened_at": iso(opened_at),
            "latency_seconds": round((opened_at - self.met_at).total_seconds(), 3),
            "since_transition_seconds": round(
                (opened_at - self.holds_since).total_seconds(), 3)}


def watched_alarms(playbook: Playbook, region: str) -> list[str]:
    """The alarms the criteria name (default: every detection alarm), in `region`."""
    names = playbook.detection.failover.alarms or playbook.detection.alarms
    return [name.replace("{region}", region) for name in names]


def holding_since(when: str, states: list[AlarmState]) -> datetime | None:
    """Since when `any`/`all` of `states` are in ALARM without a break, or None."""
    firing = [s for s in states if s.state == ALARM]
    if not firing or (when == "all" and len(firing) < len(states)):
        return None
    transitions = [s.updated_at for s in firing]
    return min(transitions) if when == "any" else max(transitions)


def evaluate(playbook: Playbook, region: str, states: list[AlarmState], now: datetime
             ) -> tuple[Detection | None, datetime | None]:
    """(the detection, if the criteria have held long enough; when they will have, if they
    hold but not yet for long enough)."""
    criteria = playbook.detection.failover
    since = holding_since(criteria.when, states)
    if since is None:
        return None, None
    met_at = since + timedelta(seconds=criteria.for_)
    if now < met_at:
        return None, met_at
    firing = tuple(s.name for s in states if s.state == ALARM)
    return Detection(playbook.name, region, firing, since, met_at), None


BLIND = "alarms unreadable, health checks failing"


def evaluate_blind(playbook: Playbook, region: str, since: datetime | None,
                   checks: dict[str, bool], now: datetime
                   ) -> tuple[Detection | None, datetime | None]:
    """`evaluate` for a region whose alarms cannot be read: `checks` are its Route53 health
    checks (id -> healthy); `since` when the watch first saw the alarms unreadable and every
    check failing (None: not both). No health check at all is no signal."""
    if since is None or not checks or any(checks.values()):
        return None, None
    met_at = since + timedelta(seconds=playbook.detection.failover.for_)
    if now < met_at:
        return None, met_at
    return Detection(playbook.name, region, (), since, met_at, BLIND, tuple(sorted(checks))), None
