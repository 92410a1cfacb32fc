"""DynamoDB Scan pages that cost their own items, as DynamoDB's do, not the whole table's.

AWS: a Scan request reads one page (up to `Limit` items or 1 MB) from where the previous one
stopped (`ExclusiveStartKey`); its cost does not grow with the table. moto's `Table.scan` sorts
every item of the table and walks it from the first one to the start key on every request, so
reading a table of N items in pages of P costs O(N^2/P): at 100,000 items in pages of 1,000 a
full scan took 26.7 s of moto's CPU against 5.5 s in 1 MB pages (measured in-process), and a
drill's validation, which reads in pages of 1,000 (`drctl/aws/dynamodb_restore.py`), paid it.

Here the table's key order is kept between requests (rebuilt after a write: `changed`) and a
page starts by bisecting to the start key; what a page holds, its `LastEvaluatedKey`, the
segments, `Limit`, the 1 MB cap and the filter and projection expressions are moto's own
semantics, unchanged. Scans of an index or with legacy `ScanFilter`s go to moto as before.
The behaviour is asserted through boto3 in `tests/e2e/test_sandbox_dynamodb.py`.

The same count of writes gives the sandbox's replicator a `version` token per table, so it reads
a source table again only when it changed: it read the whole `roadtrip-pois` table every 0.15 s,
which at 100,000 items kept one of the machine's cores busy for as long as the sandbox ran.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Callable
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table

_ORDER = "_drctl_scan_order"      # (items mapping, generation, keys, items) in key order
_GENERATION = "_drctl_generation"  # bumped by every put and delete of an item
_LOCK = threading.Lock()

Key = Any  # DynamoType, or (hash, range) DynamoTypes: moto's own sort key


def changed(table: Table) -> None:
    """A write added, replaced, removed or updated an item: the key order is rebuilt on the next
    scan, and the table's `version` changes."""
    setattr(table, _GENERATION, getattr(table, _GENERATION, 0) + 1)


def version(region: str, name: str, account_id: str = DEFAULT_ACCOUNT_ID) -> object | None:
    """A token that changes whenever table `name` gains, loses or replaces an item (None: no
    such table): a poller in the sandbox reads the table again only when it changed."""
    table = dynamodb_backends[account_id][region].tables.get(name)
    if table is None:
        return None
    return (id(table.items), getattr(table, _GENERATION, 0))


def _key(table: Table, item: Item) -> Key:
    return (item.hash_key, item.range_key) if table.range_key_attr else item.hash_key


def _order(table: Table, snapshot: Callable[[], list[Item]]) -> tuple[list[Key], list[Item]]:
    generation = getattr(table, _GENERATION, 0)
    with _LOCK:
        cached = getattr(table, _ORDER, None)
        if cached is not None and cached[0] is table.items and cached[1] == generation:
            return cached[2], cached[3]
    items = snapshot()
    keys = [_key(table, item) for item in items]
    with _LOCK:
        setattr(table, _ORDER, (table.items, generation, keys, items))
    return keys, items


def _start_key(table: Table, start: dict[str, Any]) -> Key:
    hash_key = DynamoType(start[table.hash_key_attr])
    if not table.range_key_attr:
        return hash_key
    return (hash_key, DynamoType(start[table.range_key_attr]))


def paged_scan(original: Callable[..., Any], snapshot_lock: Any) -> Callable[..., Any]:
    """`Table.scan` for the table itself; `original` for the rest. `snapshot_lock` is held
    while the key order is read (the sandbox's lock of every DynamoDB write)."""

    def scan(self: Table, filters: dict[str, Any], limit: int | None,
             exclusive_start_key: dict[str, Any] | None, filter_expression: Any = None,
             index_name: str | None = None, consistent_read: bool = False,
             projection_expression: list[list[str]] | None = None,
             segments: tuple[None, None] | tuple[int, int] = (None, None),
             ) -> tuple[list[Item], int, dict[str, Any] | None]:
        if index_name or filters:
            return original(self, filters, limit, exclusive_start_key, filter_expression,
                            index_name, consistent_read, projection_expression, segments)

        def snapshot() -> list[Item]:
            with snapshot_lock:
                return self.all_items()

        keys, items = _order(self, snapshot)
        first = 0
        if exclusive_start_key is not None:
            first = bisect.bisect_right(keys, _start_key(self, exclusive_start_key))
        results: list[Item] = []
        size, scanned, last_key = 0, 0, None
        for item in items[first:]:
            if not item.is_within_segment(segments):
                continue
            if len(results) == limit or size + item.size() > RESULT_SIZE_LIMIT:
                last_key = self._get_last_evaluated_key(results[-1], None)
                break
            results.append(copy.deepcopy(item))
            size += item.size()
            scanned += 1
        if filter_expression is not None:
            results = [item for item in results if filter_expression.expr(item)]
        if projection_expression:
            results = [item.project(projection_expression) for item in results]
        return results, scanned, last_key

    return scan
