"""The RPO canary: in a real estate nobody writes drctl's heartbeat item, so the controller does.

Every `controller.canary.every` (1 s) it writes each heartbeat source's item (its key, with
`{failed_region}` the region written to; the timestamp in epoch seconds with millisecond
precision, as the sandbox's app writes it) into the region taking traffic -- only while that
region's detection alarms are not in ALARM, so a failover's RPO is measured from data that truly
replicated, not from canary writes into a region already failing. Reading the same item in the
other region gives the live replication lag (a gauge in /metrics and `schedule list`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from drctl.aws.estate import Aws
from drctl.controller.detect import ALARM
from drctl.core.clock import Clock
from drctl.core.errors import DrctlError
from drctl.failover.dns import active_regions, read_records
from drctl.playbook.schema import HeartbeatSource, Playbook

log = structlog.get_logger("drctl.controller")
# The serving region (Route53) is re-read this often; the alarms at every beat, so no canary
# write lands in a region whose alarms have gone to ALARM.
REFRESH = timedelta(seconds=5)


@dataclass(frozen=True)
class Lag:
    source: str      # region written to
    target: str      # region replicated to
    seconds: float


class Canary:
    def __init__(self, playbook: Playbook, aws: Aws, serving: ServingRegion,
                 clock: Clock) -> None:
        self.playbook = playbook
        self.clock = clock  # read at the write and at the read: a stale `now` would skew both
        self.aws = aws
        self.serving = serving
        self.every = timedelta(seconds=playbook.controller.canary.every)
        self.next_beat: datetime | None = None
        self.lag: Lag | None = None
        self._dns_until: datetime | None = None
        self._region = ""

    @property
    def sources(self) -> list[HeartbeatSource]:
        return [s.heartbeat for s in self.playbook.rpo_sources if s.heartbeat is not None]

    def beat(self, now: datetime) -> datetime:
        """Write the canary if the serving region is healthy; read the lag. Next beat."""
        self.next_beat = now + self.every
        try:
            self._check(now)
            if self._region:
                self._write(self.clock.now())
            self.lag = self._read_lag(self.clock.now())
        except DrctlError as exc:
            log.warning("canary_failed", playbook=self.playbook.name, error=str(exc))
        return self.next_beat

    def _check(self, now: datetime) -> None:
        if self._dns_until is None or now >= self._dns_until:
            self.serving.region()
            self._dns_until = now + REFRESH
        region = self.serving.last
        alarms = self.aws.cloudwatch(region).alarms(self.playbook.alarms_for(region))
        firing = [a.name for a in alarms if a.state == ALARM]
        self._region = "" if firing else region
        if firing:
            log.info("canary_paused", playbook=self.playbook.name, region=region, alarms=firing)

    def _write(self, now: datetime) -> None:
        stamp = Decimal(f"{now.timestamp():.3f}")
        for source in self.sources:
            key = {k: v.replace("{failed_region}", self._region) for k, v in source.key.items()}
            self.aws.dynamodb(self._region).put_item(
                source.table, {**key, source.timestamp_attribute: stamp})

    def read_lag(self, now: datetime) -> Lag | None:
        """The lag as the other region's copy of the item shows it now (no write)."""
        if not self.serving.last:
            self.serving.region()
        return self._read_lag(now)

    def _read_lag(self, now: datetime) -> Lag | None:
        written = self._region or self.serving.last
        if not written or not self.sources:
            return None
        other = next(r for r in self.playbook.regions if r != written)
        source = self.sources[0]
        key = {k: v.replace("{failed_region}", written) for k, v in source.key.items()}
        item = self.aws.dynamodb(other).get_item(source.table, key)
        if item is None:
            return None
        stamp = float(item[source.timestamp_attribute])
        return Lag(written, other, round(now.timestamp() - stamp, 3))


class ServingRegion:
    """The one region taking traffic (from Route53), the primary when shared or unclear."""

    def __init__(self, playbook: Playbook, aws: Aws) -> None:
        self.playbook = playbook
        self.aws = aws
        self.last = ""
        self._found: dict[str, dict] = {}

    def region(self) -> str:
        _, found = read_records(self.aws.route53(), self.playbook.dns, list(self.playbook.regions))
        self._found = found
        first = self.playbook.dns.records[0]
        active = active_regions(first, found[first.name])
        self.last = active[0] if len(active) == 1 else self.playbook.primary_region
        return self.last

    def health_checks(self, region: str) -> list[str]:
        """The Route53 health checks on the playbook's records for `region`, as last read."""
        sets = [by_region[region] for by_region in self._found.values() if region in by_region]
        return [str(rs.raw["HealthCheckId"]) for rs in sets if rs.raw.get("HealthCheckId")]
