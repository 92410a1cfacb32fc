"""Route53: find the zone, read the regional record sets, move traffic in one change batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


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
        wanted = name.rstrip(".") + "."
        found = []
        with aws_call(f"list record sets of {name}"):
            pages = self._client.get_paginator("list_resource_record_sets").paginate(
                HostedZoneId=zone_id
            )
            for page in pages:
                for rr in page["ResourceRecordSets"]:
                    if rr["Name"] == wanted and rr["Type"] == type_:
                        found.append(RecordSet(
                            name=name, type=type_, set_identifier=rr.get("SetIdentifier"),
                            weight=rr.get("Weight"), failover=rr.get("Failover"), raw=rr,
                        ))
        return found

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
