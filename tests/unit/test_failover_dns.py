"""Which region DNS sends traffic to, and the changes that move it (drctl/failover/dns.py)."""

from __future__ import annotations

import copy
from typing import Any

from drctl.aws.route53 import RecordSet
from drctl.failover.dns import active_regions, switch_changes
from drctl.playbook.schema import DnsRecord

NAME = "api.roadcopilot.com"
WEIGHTED = DnsRecord(name=NAME, routing="weighted")
FAILOVER = DnsRecord(name=NAME, routing="failover")


def weighted(region: str, weight: int | None, ident: str | None = None) -> RecordSet:
    ident = region if ident is None else ident
    raw: dict[str, Any] = {
        "Name": f"{NAME}.", "Type": "CNAME", "SetIdentifier": ident, "TTL": 60,
        "ResourceRecords": [{"Value": f"lb-{region}.elb.amazonaws.com"}],
        "HealthCheckId": f"hc-{region}",
    }
    if weight is not None:
        raw["Weight"] = weight
    return RecordSet(NAME, "CNAME", ident, weight, None, raw)


def failover(region: str, role: str) -> RecordSet:
    raw: dict[str, Any] = {
        "Name": f"{NAME}.", "Type": "CNAME", "SetIdentifier": region, "TTL": 60,
        "Failover": role, "ResourceRecords": [{"Value": f"lb-{region}.elb.amazonaws.com"}],
        "HealthCheckId": f"hc-{region}",
    }
    return RecordSet(NAME, "CNAME", region, None, role, raw)


# --- active_regions --------------------------------------------------------------------------


def test_weighted_active_regions_are_those_with_weight() -> None:
    sets = {"us-east-1": weighted("us-east-1", 100), "us-west-2": weighted("us-west-2", 0)}

    assert active_regions(WEIGHTED, sets) == ["us-east-1"]


def test_weighted_traffic_split_between_regions_is_active_in_both() -> None:
    sets = {"us-east-1": weighted("us-east-1", 50), "us-west-2": weighted("us-west-2", 1)}

    assert active_regions(WEIGHTED, sets) == ["us-east-1", "us-west-2"]


def test_weighted_record_without_weight_is_inactive() -> None:
    sets = {"us-east-1": weighted("us-east-1", None), "us-west-2": weighted("us-west-2", 100)}

    assert active_regions(WEIGHTED, sets) == ["us-west-2"]


def test_failover_active_region_is_the_primary_record() -> None:
    sets = {"us-east-1": failover("us-east-1", "SECONDARY"),
            "us-west-2": failover("us-west-2", "PRIMARY")}

    assert active_regions(FAILOVER, sets) == ["us-west-2"]


# --- switch_changes --------------------------------------------------------------------------


def test_weighted_switch_moves_all_weight_to_the_target() -> None:
    east, west = weighted("us-east-1", 100), weighted("us-west-2", 0)

    changes = switch_changes(WEIGHTED, {"us-east-1": east, "us-west-2": west}, "us-west-2", 200)

    assert [(c.region, c.set_identifier, c.before, c.after) for c in changes] == [
        ("us-east-1", "us-east-1", 100, 0), ("us-west-2", "us-west-2", 0, 200),
    ]
    assert all(c.record == NAME for c in changes)
    assert all(c.changes_something for c in changes)


def test_weighted_new_records_only_change_the_weight() -> None:
    east, west = weighted("us-east-1", 100), weighted("us-west-2", 0)

    changes = switch_changes(WEIGHTED, {"us-east-1": east, "us-west-2": west}, "us-west-2", 100)

    assert changes[0].new_record == {**east.raw, "Weight": 0}
    assert changes[1].new_record == {**west.raw, "Weight": 100}
    assert changes[1].new_record["ResourceRecords"] == [{"Value": "lb-us-west-2.elb.amazonaws.com"}]
    assert changes[1].new_record["HealthCheckId"] == "hc-us-west-2"


def test_switch_does_not_touch_the_records_it_read() -> None:
    east, west = weighted("us-east-1", 100), weighted("us-west-2", 0)
    before = copy.deepcopy((east.raw, west.raw))

    changes = switch_changes(WEIGHTED, {"us-east-1": east, "us-west-2": west}, "us-west-2", 100)
    changes[1].new_record["ResourceRecords"].append({"Value": "mutated"})

    assert (east.raw, west.raw) == before


def test_weighted_switch_to_the_region_already_serving_changes_nothing() -> None:
    sets = {"us-east-1": weighted("us-east-1", 0), "us-west-2": weighted("us-west-2", 100)}

    changes = switch_changes(WEIGHTED, sets, "us-west-2", 100)

    assert [c.changes_something for c in changes] == [False, False]


def test_weighted_switch_uses_the_record_set_identifier() -> None:
    sets = {"us-east-1": weighted("us-east-1", 100, ident="east-blue"),
            "us-west-2": weighted("us-west-2", 0, ident="west-green")}

    changes = switch_changes(WEIGHTED, sets, "us-west-2", 100)

    assert [(c.region, c.set_identifier) for c in changes] == [
        ("us-east-1", "east-blue"), ("us-west-2", "west-green"),
    ]
    assert changes[1].new_record["SetIdentifier"] == "west-green"


def test_failover_switch_makes_the_target_primary() -> None:
    east, west = failover("us-east-1", "PRIMARY"), failover("us-west-2", "SECONDARY")

    changes = switch_changes(FAILOVER, {"us-east-1": east, "us-west-2": west}, "us-west-2", 100)

    assert [(c.region, c.before, c.after) for c in changes] == [
        ("us-east-1", "PRIMARY", "SECONDARY"), ("us-west-2", "SECONDARY", "PRIMARY"),
    ]
    assert changes[0].new_record == {**east.raw, "Failover": "SECONDARY"}
    assert changes[1].new_record == {**west.raw, "Failover": "PRIMARY"}
    assert all("Weight" not in c.new_record for c in changes)
    assert active_regions(FAILOVER, {
        c.region: RecordSet(NAME, "CNAME", c.set_identifier, None, c.after, c.new_record)
        for c in changes
    }) == ["us-west-2"]
