"""Which region takes the traffic: the sandbox follows Route53, as the real world does.

The region whose weighted `api` record has the highest weight is *active*: its app writes the
heartbeats and replication flows out of it. So after `drctl failover` switches DNS, the new
region starts writing and replicating back — and a failback has a true RPO to measure too.

The switch happens inside the Route53 change itself (`after_request`, before the caller gets
its answer), not at the next poll: the cut is the DNS switch, on a busy machine too. The poll
remains for changes made some other way.
"""

from __future__ import annotations

from typing import Any

import structlog
from werkzeug.wrappers import Request

from drctl.sandbox.conditions import Conditions
from drctl.sandbox.estate import API_RECORD, ZONE_NAME
from drctl.sandbox.periodic import Periodic

log = structlog.get_logger(__name__)


class TrafficWatcher(Periodic):
    name = "traffic-watcher"

    def __init__(self, route53: Any, conditions: Conditions, interval: float = 0.5) -> None:
        super().__init__(interval)
        self._route53 = route53
        self._conditions = conditions

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

    def after_request(self, request: Request) -> None:
        """A hook on every request the sandbox serves: a Route53 record change moves the
        traffic now."""
        # ChangeResourceRecordSets is POST /2013-04-01/hostedzone/{Id}/rrset/ (trailing slash)
        if request.method == "POST" and request.path.rstrip("/").endswith("/rrset"):
            try:
                self.tick()
            except Exception as exc:  # the poll will catch up; the change itself succeeded
                log.warning("traffic_follow_failed", error=str(exc))

    def tick(self) -> None:
        region = self.active_region()  # on a failure the last known active region stands
        if region and self._conditions.set_active(region):
            log.info("traffic_moved", active=region)
