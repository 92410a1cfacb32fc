"""`drctl validate` for drill targets: what a drill validates by must be in the live data.

A DynamoDB drill judges items by their stamp (`timestamp_attribute`); an attribute no item has
(a typo) would make every drill check nothing. A sample of each table is read.
"""

from __future__ import annotations

from itertools import islice

from drctl.aws.estate import Aws
from drctl.core.errors import DrctlError
from drctl.drill.stamps import stamp_of
from drctl.playbook.problems import Problem
from drctl.playbook.schema import Playbook

SAMPLE = 100


def check_drill_data(playbook: Playbook, aws: Aws) -> list[Problem]:
    """A problem for each DynamoDB drill target whose sampled items carry no readable stamp."""
    problems = []
    for i, target in enumerate(playbook.drills.targets if playbook.drills else []):
        attribute = target.validation.timestamp_attribute
        if target.service != "dynamodb" or not attribute:
            continue
        try:
            message = _unstamped(aws, target.region, target.resource, attribute)
        except DrctlError:
            continue  # a missing table is reported by the existence check
        if message:
            problems.append(Problem(("drills", "targets", i, "validation",
                                     "timestamp_attribute"), message))
    return problems


def _unstamped(aws: Aws, region: str, table: str, attribute: str) -> str | None:
    items = list(islice(aws.dynamodb_restore(region).items(table), SAMPLE))
    if not items or any(stamp_of(item, attribute) for item in items):
        return None
    return (f"timestamp_attribute {attribute!r}: none of the first {len(items)} item(s) of "
            f"{table} ({region}) has a readable {attribute} (epoch seconds or ISO 8601), so a "
            "drill would check nothing")
