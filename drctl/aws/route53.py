"""Route53: find the zone, read the regional record sets, move traffic in one change batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing

FEW_NAMES = 3  # up to this many names, list each from its start; beyond, read the zone once
HEALTHY_SHARE = 0.18  # Route53: healthy when more than 18 % of its checkers say so


@dataclass(frozen=True)
class RecordSet:
    name: str
    type: str
    set_identifier: str | None
    weight: int | None
    failover: str | None
    raw: dict[str, Any]


class Route53:
    def __init__(self, client: Any) -> None:
        self._client = client

    def zone_id(self, zone: str) -> str:
        """The id of the hosted zone named `zone`. Raises ResourceMissing when there is none."""
        wanted = zone.rstrip(".") + "."
        with aws_call("list hosted zones"):
            pages = self._client.get_paginator("list_hosted_zones").paginate()
            for page in pages:
                for hz in page["HostedZones"]:
                    if hz["Name"] == wanted:
                        return str(hz["Id"]).split("/")[-1]
        raise ResourceMissing(f"hosted zone {zone!r} does not exist")

    def record_sets(self, zone_id: str, name: str, type_: str) -> list[RecordSet]:
        """Every record set named `name` of `type_` (all weighted/failover members)."""
        return self.record_sets_of(zone_id, [(name, type_)])[(name, type_)]

    def record_sets_of(self, zone_id: str, wanted: list[tuple[str, str]]
                       ) -> dict[tuple[str, str], list[RecordSet]]:
        """The record sets of every (name, type) in `wanted`, in as few calls as Route53 allows
        (it throttles at 5 requests/s an account): a few names are listed from where they start
        in the zone, many by reading the whole zone once, 300 sets a page."""
        keys = {(name.rstrip(".") + ".", type_): (name, type_) for name, type_ in wanted}
        found: dict[tuple[str, str], list[RecordSet]] = {key: [] for key in wanted}
        starts = list(keys) if len(keys) <= FEW_NAMES else [None]
        for start in starts:
            with aws_call(f"list record sets of zone {zone_id}"):
                for rr in self._listing(zone_id, start):
                    key = keys.get((rr["Name"], rr["Type"]))
                    if key is not None:
                        found[key].append(RecordSet(
                            name=key[0], type=key[1], set_identifier=rr.get("SetIdentifier"),
                            weight=rr.get("Weight"), failover=rr.get("Failover"), raw=rr))
        return found

    def _listing(self, zone_id: str, start: tuple[str, str] | None) -> Iterator[dict[str, Any]]:
        """The zone's record sets from `start` (name, type) on -- only those of that name and
        type -- or the whole zone."""
        kwargs: dict[str, Any] = {"HostedZoneId": zone_id, "MaxItems": "300"}
        if start is not None:
            kwargs.update(StartRecordName=start[0], StartRecordType=start[1])
        while True:
            page = self._client.list_resource_record_sets(**kwargs)
            for rr in page["ResourceRecordSets"]:
                if start is not None and (rr["Name"], rr["Type"]) != start:
                    return  # sorted by name: past the wanted name, nothing more of it
                yield rr
            if not page.get("IsTruncated"):
                return
            kwargs.update(StartRecordName=page["NextRecordName"],
                          StartRecordType=page["NextRecordType"])
            if "NextRecordIdentifier" in page:
                kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]

    def upsert(self, zone_id: str, records: list[dict[str, Any]], comment: str) -> str:
        """UPSERT all `records` in one atomic change batch; returns the change id."""
        changes = [{"Action": "UPSERT", "ResourceRecordSet": rr} for rr in records]
        with aws_call("change resource record sets"):
            response = self._client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": changes}
            )
        return str(response["ChangeInfo"]["Id"]).split("/")[-1]

    def change_in_sync(self, change_id: str) -> bool:
        with aws_call("get change"):
            status = self._client.get_change(Id=change_id)["ChangeInfo"]["Status"]
        return bool(status == "INSYNC")

    def health_check_healthy(self, check_id: str) -> bool:
        """Route53's own verdict on a health check: healthy when more than 18 % of its
        checkers last reported success (how Route53 decides for DNS failover)."""
        with aws_call(f"get health check status {check_id}"):
            observations = self._client.get_health_check_status(
                HealthCheckId=check_id)["HealthCheckObservations"]
        passing = [o for o in observations
                   if str(o.get("StatusReport", {}).get("Status", "")).startswith("Success")]
        return bool(observations) and len(passing) / len(observations) > HEALTHY_SHARE
