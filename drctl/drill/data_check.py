"""Is the restored DynamoDB data the source's data as of the restore point? Pure functions.

The source is read *after* the restore, so it holds every item written since. Each item is
judged by its stamp (the playbook's `timestamp_attribute`) against the restore point T:

- stamped at or before `T - W` and unchanged since: must be in the restored table, identical;
- stamped after `T + W`: must not be in it (the restored table holds the older version, or none);
- stamped within `W` of T: **not judged**. A write stamped just before T may commit just after it
  (and so rightly be absent), and a whole-second stamp hides up to a second of that.

`W` = the stamp's resolution (1 s for whole seconds, 1 ms for milliseconds, ...) + the commit
latency allowance (`validation.commit_latency`, 5 s by default): the longest a writer may take
between reading its clock for the stamp and the write being committed.

Restored items whose key the source has since rewritten or deleted are the old versions, counted
as `superseded`. The newest stamp in the restored table is the *effective* recovery point: the
RPO read from the data itself. Validation that could judge nothing fails: a table whose items
carry no readable stamp (a misspelt attribute) proves nothing about the restore.

Checksum: SHA-256 over the items' canonical JSON (wire format, keys sorted, no spaces), one per
line, lines sorted -- independent of scan order, comparable across tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from drctl.core.clock import iso
from drctl.drill.stamps import Item, resolution_of, stamp_of

DEFAULT_COMMIT_LATENCY = 5.0


def checksum(items: Iterable[Item]) -> str:
    lines = sorted(json.dumps(item, sort_keys=True, separators=(",", ":")) for item in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True)
class DataCheck:
    passed: bool
    restore_point: str | None
    restored_items: int
    restored_checksum: str
    expected_items: int              # source items stamped <= restore point - window
    expected_checksum: str
    matching_items: int
    missing: list[str] = field(default_factory=list)     # expected, not restored
    differing: list[str] = field(default_factory=list)   # restored, but not identical
    changed_in_source: list[str] = field(default_factory=list)  # differ, same stamp
    too_new: list[str] = field(default_factory=list)     # restored, stamped after the point
    superseded: int = 0              # restored old versions of items changed/deleted since
    unstamped: int = 0               # restored items without a readable timestamp
    unstamped_source: int = 0        # source items without a readable timestamp (not judged)
    unjudged: int = 0                # source items stamped within the window of the point
    window_seconds: float = 0.0      # the largest window used (resolution + allowance)
    effective_restore_point: str | None = None
    samples: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "dynamodb-data", **asdict(self)}


@dataclass
class _Judgement:
    """Source items sorted by what their stamp lets the check say about them."""

    expected: dict[str, Item] = field(default_factory=dict)
    unjudged: set[str] = field(default_factory=set)
    newer: set[str] = field(default_factory=set)
    unstamped: int = 0
    window: float = 0.0


def check_restored(
    source: list[Item], restored: list[Item], key: tuple[str, ...], attribute: str,
    restore_point: datetime, samples: list[Item] | None = None, limit: int = 10,
    commit_latency: float = DEFAULT_COMMIT_LATENCY,
) -> DataCheck:
    """Compare the restored table with the source as of `restore_point` (see module doc)."""
    def key_of(item: Item) -> str:
        return json.dumps([item.get(k) for k in key], sort_keys=True)

    by_key = {key_of(i): i for i in source}
    restored_by_key = {key_of(item): item for item in restored}
    judged = _judge_source(by_key, attribute, restore_point, commit_latency)
    expected = judged.expected
    missing = [k for k in expected if k not in restored_by_key]
    unequal = [k for k in expected if k in restored_by_key and restored_by_key[k] != expected[k]]
    same_stamp = [k for k in unequal if stamp_of(restored_by_key[k], attribute)
                  == stamp_of(expected[k], attribute)]
    differing = [k for k in unequal if k not in same_stamp]
    stamps = {k: stamp_of(i, attribute) for k, i in restored_by_key.items()}
    too_new = [k for k, s in stamps.items() if s is not None and _after(
        s, restore_point, _window(restored_by_key[k], attribute, commit_latency))]
    newest = max((s for s in stamps.values() if s is not None), default=None)
    sample_keys = [key_of(s) for s in samples or []]
    sample_result = {k: k in restored_by_key for k in sample_keys}
    problems = _problems(missing, differing, same_stamp, too_new, attribute)
    problems += _nothing_judged(len(source), judged, attribute)
    sample_problems, notes = _samples(sample_result, by_key, judged)
    problems += sample_problems
    return DataCheck(
        passed=not problems, restore_point=iso(restore_point),
        restored_items=len(restored), restored_checksum=checksum(restored),
        expected_items=len(expected), expected_checksum=checksum(expected.values()),
        matching_items=len(expected) - len(missing) - len(unequal),
        missing=missing[:limit], differing=differing[:limit],
        changed_in_source=same_stamp[:limit], too_new=too_new[:limit],
        superseded=len([k for k, i in restored_by_key.items() if k not in expected
                        and k not in too_new and stamps[k] is not None and by_key.get(k) != i]),
        unstamped=sum(1 for s in stamps.values() if s is None),
        unstamped_source=judged.unstamped, unjudged=len(judged.unjudged),
        window_seconds=round(judged.window, 6), effective_restore_point=iso(newest),
        samples=sample_result, problems=problems, notes=notes,
    )


def _judge_source(by_key: dict[str, Item], attribute: str, point: datetime,
                  commit_latency: float) -> _Judgement:
    judged = _Judgement()
    for k, item in by_key.items():
        stamp = stamp_of(item, attribute)
        if stamp is None:
            judged.unstamped += 1
            continue
        window = _window(item, attribute, commit_latency)
        judged.window = max(judged.window, window)
        if stamp <= point - timedelta(seconds=window):
            judged.expected[k] = item
        elif _after(stamp, point, window):
            judged.newer.add(k)
        else:
            judged.unjudged.add(k)
    return judged


def _window(item: Item, attribute: str, commit_latency: float) -> float:
    return resolution_of(item, attribute) + commit_latency


def _after(stamp: datetime, point: datetime, window: float) -> bool:
    return stamp > point + timedelta(seconds=window)


def _problems(missing: list[str], differing: list[str], same_stamp: list[str],
              too_new: list[str], attribute: str) -> list[str]:
    problems = []
    if missing:
        problems.append(f"{len(missing)} item(s) stamped before the restore point are "
                        "missing from the restored table")
    if differing:
        problems.append(f"{len(differing)} restored item(s) differ from the source")
    if same_stamp:
        problems.append(
            f"{len(same_stamp)} item(s) differ from the source although their `{attribute}` "
            "is the same: the source item was changed after the restore point without a new "
            f"stamp (every write must update `{attribute}`), so the drill cannot judge it")
    if too_new:
        problems.append(f"{len(too_new)} restored item(s) are stamped after the restore point")
    return problems


def _nothing_judged(source_items: int, judged: _Judgement, attribute: str) -> list[str]:
    """Validation that could judge nothing is a failure, not a pass."""
    if source_items == 0:
        return ["the source table is empty: there is nothing to validate the restore against"]
    if judged.unstamped == source_items:
        return [f"validation checked nothing: none of the {source_items} source item(s) has a "
                f"readable `{attribute}` (epoch seconds or ISO 8601) -- is the playbook's "
                "timestamp_attribute spelt right?"]
    return []


def _samples(found: dict[str, bool], source: dict[str, Item], judged: _Judgement
             ) -> tuple[list[str], list[str]]:
    """(problems, notes) about the sample keys that are not in the restored table."""
    lost, gone, notes = [], [], []
    for key in (k for k, restored in found.items() if not restored):
        if key not in source:
            gone.append(key)
        elif key in judged.expected:
            lost.append(key)
        else:
            notes.append(f"sample key {key} was written at or after the restore point (or is "
                         "unstamped): it is not expected in the restored table")
    problems = [f"sample key(s) not restored: {', '.join(lost)}"] if lost else []
    if gone:
        problems.append(f"sample key(s) {', '.join(gone)} no longer exist in the source table "
                        "(deleted there): the drill cannot tell whether they existed at the "
                        "restore point, so it cannot check them -- choose sample_keys that "
                        "exist")
    return problems, notes
