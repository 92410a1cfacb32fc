"""DNS: which region is serving now, and the record changes that move traffic to another."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from drctl.aws.route53 import RecordSet, Route53
from drctl.core.errors import ResourceMissing
from drctl.playbook.schema import Dns, DnsRecord


@dataclass(frozen=True)
class RecordChange:
    record: str
    set_identifier: str
    region: str
    before: Any
    after: Any
    new_record: dict[str, Any]

    @property
    def changes_something(self) -> bool:
        return bool(self.before != self.after)


def read_records(r53: Route53, dns: Dns, regions: list[str]) -> tuple[str, dict[str, dict]]:
    """(zone id, {record name: {region: RecordSet}}). ResourceMissing for a missing piece."""
    zone_id = r53.zone_id(dns.zone)
    listed = r53.record_sets_of(zone_id, [(rec.name, rec.type) for rec in dns.records])
    found: dict[str, dict] = {}
    for rec in dns.records:
        sets = {rs.set_identifier: rs for rs in listed[(rec.name, rec.type)]}
        by_region = {}
        for region in regions:
            ident = rec.set_identifier(region)
            if ident not in sets:
                raise ResourceMissing(
                    f"{rec.type} record {rec.name} with set identifier {ident!r} "
                    f"not found in zone {dns.zone}"
                )
            by_region[region] = sets[ident]
        found[rec.name] = by_region
    return zone_id, found


def active_regions(rec: DnsRecord, sets: dict[str, RecordSet]) -> list[str]:
    """Regions receiving traffic: weight > 0 (weighted) or the PRIMARY record (failover)."""
    if rec.routing == "weighted":
        return [region for region, rs in sets.items() if (rs.weight or 0) > 0]
    return [region for region, rs in sets.items() if rs.failover == "PRIMARY"]


def switch_changes(
    rec: DnsRecord, sets: dict[str, RecordSet], target: str, weight: int
) -> list[RecordChange]:
    """The record changes that send all of `rec`'s traffic to `target`."""
    changes = []
    for region, rs in sets.items():
        new = copy.deepcopy(rs.raw)
        before: Any
        after: Any
        if rec.routing == "weighted":
            new["Weight"] = weight if region == target else 0
            before, after = rs.weight, new["Weight"]
        else:
            new["Failover"] = "PRIMARY" if region == target else "SECONDARY"
            before, after = rs.failover, new["Failover"]
        changes.append(RecordChange(rec.name, rs.set_identifier or region, region,
                                    before, after, new))
    return changes
