"""Which region takes the traffic: the sandbox follows Route53, as the real world does.

The region whose weighted `api` record has the highest weight is *active*: its app writes the
heartbeats and replication flows out of it. So after `drctl failover` switches DNS, the new
region starts writing and replicating back — and a failback has a true RPO to measure too.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog

from drctl.sandbox.conditions import Conditions
from drctl.sandbox.estate import API_RECORD, ZONE_NAME

log = structlog.get_logger(__name__)


class TrafficWatcher:
    def __init__(self, route53: Any, conditions: Conditions, interval: float = 0.5) -> None:
        self._route53 = route53
        self._conditions = conditions
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def active_region(self) -> str | None:
        """The set identifier (a region) with the highest positive weight, if any."""
        zones = self._route53.list_hosted_zones()["HostedZones"]
        zone = next(z for z in zones if z["Name"] == f"{ZONE_NAME}.")
        records = self._route53.list_resource_record_sets(HostedZoneId=zone["Id"])
        weights = {rr["SetIdentifier"]: rr.get("Weight", 0)
                   for rr in records["ResourceRecordSets"]
                   if rr["Name"] == f"{API_RECORD}." and "SetIdentifier" in rr}
        region, weight = max(weights.items(), key=lambda kv: kv[1], default=(None, 0))
        return region if weight > 0 else None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                region = self.active_region()
                if region and self._conditions.set_active(region):
                    log.info("traffic_moved", active=region)
            except Exception as exc:  # keep watching; the last known active region stands
                log.warning("traffic_watch_failed", error=str(exc))
