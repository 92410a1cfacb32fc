"""Is the restored DynamoDB data the source's data as of the restore point? Pure functions.

The source now holds every item written since; an item stamped at or before the restore point
(by the playbook's timestamp attribute) and unchanged since must be in the restored table,
byte-for-byte; an item stamped after it must not be. Restored items whose key the source has
since rewritten or deleted are the old versions, counted as `superseded`. The newest stamp in the
restored table is the *effective* recovery point: the RPO read from the data itself.

Checksum: SHA-256 over the items' canonical JSON (wire format, keys sorted, no spaces), one per
line, lines sorted -- independent of scan order, comparable across tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from drctl.core.clock import iso, parse_iso

Item = dict[str, Any]


def checksum(items: Iterable[Item]) -> str:
    lines = sorted(json.dumps(item, sort_keys=True, separators=(",", ":")) for item in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def stamp_of(item: Item, attribute: str) -> datetime | None:
    """The item's timestamp: a number is epoch seconds (milliseconds when it is that large),
    a string is ISO 8601. None when absent or unreadable."""
    value = item.get(attribute)
    if not isinstance(value, dict):
        return None
    try:
        if "N" in value:
            seconds = Decimal(value["N"])
            seconds = seconds / 1000 if seconds > 10**11 else seconds
            return datetime.fromtimestamp(float(seconds), UTC)
        if "S" in value:
            return parse_iso(value["S"])
    except (InvalidOperation, ValueError, OverflowError):
        return None
    return None


@dataclass(frozen=True)
class DataCheck:
    passed: bool
    restore_point: str | None
    restored_items: int
    restored_checksum: str
    expected_items: int              # source items stamped <= restore point
    expected_checksum: str
    matching_items: int
    missing: list[str] = field(default_factory=list)     # expected, not restored
    differing: list[str] = field(default_factory=list)   # restored, but not identical
    too_new: list[str] = field(default_factory=list)     # restored, stamped after the point
    superseded: int = 0              # restored old versions of items changed/deleted since
    unstamped: int = 0               # items without a readable timestamp (not judged)
    effective_restore_point: str | None = None
    samples: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "dynamodb-data", **asdict(self)}


def check_restored(
    source: list[Item], restored: list[Item], key: tuple[str, ...], attribute: str,
    restore_point: datetime, samples: list[Item] | None = None, limit: int = 10,
) -> DataCheck:
    """Compare the restored table with the source as of `restore_point` (see module doc)."""
    def key_of(item: Item) -> str:
        return json.dumps([item.get(k) for k in key], sort_keys=True)

    restored_by_key = {key_of(item): item for item in restored}
    expected = {key_of(i): i for i in source if _at_or_before(i, attribute, restore_point)}
    missing = [k for k in expected if k not in restored_by_key]
    differing = [k for k in expected if k in restored_by_key and restored_by_key[k] != expected[k]]
    stamps = {k: stamp_of(i, attribute) for k, i in restored_by_key.items()}
    too_new = [k for k, s in stamps.items() if s is not None and s > restore_point]
    newest = max((s for s in stamps.values() if s is not None), default=None)
    found = {json.dumps([s.get(k) for k in key], sort_keys=True): s for s in samples or []}
    sample_result = {k: k in restored_by_key for k in found}
    problems = _problems(missing, differing, too_new, sample_result)
    return DataCheck(
        passed=not problems, restore_point=iso(restore_point),
        restored_items=len(restored), restored_checksum=checksum(restored),
        expected_items=len(expected), expected_checksum=checksum(expected.values()),
        matching_items=len(expected) - len(missing) - len(differing),
        missing=missing[:limit], differing=differing[:limit], too_new=too_new[:limit],
        superseded=len([k for k in restored_by_key if k not in expected and k not in too_new
                        and stamps[k] is not None]),
        unstamped=sum(1 for s in stamps.values() if s is None),
        effective_restore_point=iso(newest), samples=sample_result, problems=problems,
    )


def _at_or_before(item: Item, attribute: str, point: datetime) -> bool:
    stamp = stamp_of(item, attribute)
    return stamp is not None and stamp <= point


def _problems(missing: list[str], differing: list[str], too_new: list[str],
              samples: dict[str, bool]) -> list[str]:
    problems = []
    if missing:
        problems.append(f"{len(missing)} item(s) stamped at or before the restore point are "
                        "missing from the restored table")
    if differing:
        problems.append(f"{len(differing)} restored item(s) differ from the source")
    if too_new:
        problems.append(f"{len(too_new)} restored item(s) are stamped after the restore point")
    absent = [k for k, ok in samples.items() if not ok]
    if absent:
        problems.append(f"sample key(s) not restored: {', '.join(absent)}")
    return problems
