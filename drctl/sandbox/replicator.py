"""Cross-region replication with an injected lag (moto keeps every region to itself).

The replicator polls the source tables often enough to see every version of the overwritten
heartbeat item, queues each new version with the time it becomes due, and writes it to the target
region when that time comes. An item carrying `written_at` is due `lag` seconds after it was
written; any other item `lag` seconds after it was first seen. The due time is computed against
the lag in force when it is checked, so changing the lag at runtime also applies to the queue.

While the source region is down the queue is dropped: data that had not crossed the ocean when the
region failed is lost, which is exactly the RPO a failover has to measure. The same at a switch of
the active region (a failback): delivery into the new active region stops at the cut, as a
promoted replica stops replicating, and what was still in flight is lost. The replicator answers
each cut out of its source with the ground truth (`Cut`): the newest heartbeat the source wrote
and the newest of them it had delivered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog

from drctl.sandbox.conditions import Conditions, Cut
from drctl.sandbox.estate import HEARTBEATS_TABLE, REPLICATED_TABLES, TABLE_KEYS
from drctl.sandbox.periodic import Periodic

log = structlog.get_logger(__name__)

Item = dict[str, Any]  # DynamoDB wire format, copied verbatim


@dataclass(frozen=True)
class _Pending:
    table: str
    item: Item
    written_at: float


class Replicator:
    """Copies the replicated tables from `source` to `target` with the lag `conditions` set."""

    def __init__(
        self,
        source: Any,
        target: Any,
        conditions: Conditions,
        regions: tuple[str, str],
        poll_interval: float = 0.15,
        clock: Callable[[], float] = time.time,
        version: Callable[[str], object | None] | None = None,
    ) -> None:
        self._source, self._target = source, target
        self._source_region, self._target_region = regions
        self._conditions = conditions
        self._poll_interval = poll_interval
        self._clock = clock
        self._seen: dict[tuple[str, str], str] = {}
        # A source table is read again only when its version token changed (a 100,000-item
        # table read every 0.15 s kept a core busy); without `version`, every poll reads.
        self._version = version
        self._polled: dict[str, object] = {}
        self._pending: list[_Pending] = []
        self._newest_written: float | None = None  # the source's own heartbeats
        self._newest_delivered: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replicator", daemon=True)
        conditions.on_switch(self._cut)

    @property
    def source(self) -> str:
        return self._source_region

    @property
    def delivered_a_beat(self) -> bool:
        """A heartbeat the source wrote itself has reached the target (steady state)."""
        with self._lock:
            return self._newest_delivered is not None

    def baseline(self) -> None:
        """Take what the source holds now as already replicated (the estate is seeded in both)."""
        for table in REPLICATED_TABLES:
            for key, version, _ in self._source_versions(table):
                self._seen[(table, key)] = version

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def enqueue(self, table: str, item: Item) -> None:
        """Queue a version written in the source region, told by its writer. Polling can miss
        versions of an overwritten item when the machine is busy; the heartbeat, the RPO's
        ground truth, must not be missed."""
        key = json.dumps(item[TABLE_KEYS[table]], sort_keys=True)
        written_at = float(item["written_at"]["N"]) if "written_at" in item else self._clock()
        with self._lock:
            self._seen[(table, key)] = json.dumps(item, sort_keys=True)
            self._pending.append(_Pending(table, item, written_at))
            if self._own_beat(table, item):
                self._newest_written = max(written_at, self._newest_written or written_at)

    def drop_pending(self) -> int:
        """Lose everything not yet applied, as a failed region does. Returns how many items."""
        with self._lock:
            dropped, self._pending = len(self._pending), []
        return dropped

    def _run(self) -> None:
        last_poll = 0.0
        was_active = True
        while not self._stop.wait(0.05):
            try:
                if self._conditions.is_down(self._source_region):
                    self.drop_pending()
                    continue
                active = self._conditions.active == self._source_region
                if active and not was_active:
                    # Replication turned around: what the source holds now came from the
                    # other side, so it is not sent back.
                    self.baseline()
                was_active = active
                if not active:
                    continue  # the cut dropped what was in flight
                if time.monotonic() - last_poll >= self._poll_interval:
                    last_poll = time.monotonic()
                    self._poll()
                if not self._conditions.is_down(self._target_region):
                    self.apply_due()
            except Exception as exc:  # one bad round must not end replication
                log.warning("replication_round_failed", error=str(exc))

    def _poll(self) -> None:
        now = self._clock()
        for table in REPLICATED_TABLES:
            # The token is taken before the read (a write during it is read next time) and
            # kept only once the read is whole: a read that fails is done again.
            token = self._version(table) if self._version is not None else None
            if token is not None and self._polled.get(table) == token:
                continue
            for key, version, item in self._source_versions(table):
                with self._lock:
                    if self._seen.get((table, key)) == version:
                        continue
                    self._seen[(table, key)] = version
                written_at = float(item["written_at"]["N"]) if "written_at" in item else now
                with self._lock:
                    self._pending.append(_Pending(table, item, written_at))
            if token is not None:
                self._polled[table] = token

    def apply_due(self) -> None:
        cutoff = self._clock() - self._conditions.replication_lag
        with self._lock:
            due = sorted(
                (p for p in self._pending if p.written_at <= cutoff), key=lambda p: p.written_at
            )
            self._pending = [p for p in self._pending if p.written_at > cutoff]
        for batch in _batches(due):
            with self._conditions.switching():  # delivered before a cut, or not at all
                if self._conditions.active != self._source_region:
                    return
                self._write(batch)
                beats = [p.written_at for p in batch if self._own_beat(p.table, p.item)]
                if beats:
                    with self._lock:
                        self._newest_delivered = max(max(beats), self._newest_delivered or 0.0)

    def _write(self, batch: list[_Pending]) -> None:
        """One BatchWriteItem (what it leaves unprocessed, again): a table of 100,000 items
        was copied at ~200 items/s one PutItem at a time, long after a bench had moved on."""
        request: dict[str, list[dict[str, Any]]] = {}
        for pending in batch:
            request.setdefault(pending.table, []).append({"PutRequest": {"Item": pending.item}})
        while request:
            request = self._target.batch_write_item(RequestItems=request).get(
                "UnprocessedItems") or {}

    def _own_beat(self, table: str, item: Item) -> bool:
        """A heartbeat the source region wrote itself (not one replicated into it)."""
        return table == HEARTBEATS_TABLE and item.get("writer", {}).get("S") == self._source_region

    def _cut(self, old: str, new: str, at: float) -> Cut | None:
        """Told under the switch lock when the active region changes: a switch away from the
        source ends delivery; what was pending is lost. Returns the cut's ground truth."""
        if old != self._source_region:
            return None
        with self._lock:
            lost, self._pending = len(self._pending), []
            cut = Cut(old, new, at, self._newest_written, self._newest_delivered)
        log.info("replication_cut", lost_items=lost, **cut.as_dict())
        return cut

    def _source_versions(self, table: str) -> Iterator[tuple[str, str, Item]]:
        key_name = TABLE_KEYS[table]
        for item in _scan(self._source, table):
            version = json.dumps(item, sort_keys=True)
            yield json.dumps(item[key_name], sort_keys=True), version, item


def _batches(due: list[_Pending], size: int = 25) -> Iterator[list[_Pending]]:
    """`due` (oldest first) in BatchWriteItem's batches of `size`, each key once: of several
    due versions of an item only the newest is written (the older ones would be overwritten
    at once; a batch may not name a key twice). A prefix of the batches is a prefix in time,
    so a cut between two batches delivers the older writes and loses the newer ones."""
    newest: dict[tuple[str, str], _Pending] = {}
    for pending in due:
        key = (pending.table, json.dumps(pending.item[TABLE_KEYS[pending.table]], sort_keys=True))
        newest.pop(key, None)  # re-inserted: the dict's order follows the newest versions
        newest[key] = pending
    ordered = list(newest.values())
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


class ReplicaLagPublisher(Periodic):
    """Publishes AWS/RDS `ReplicaLag` for every read replica, as RDS does every minute.

    Here every few seconds, with the injected lag, in the replica's region and under its own
    identifier, whatever its name and whichever direction it replicates (a failback or a
    reprotect creates replicas the seed never had). A promoted instance is no replica, so it
    gets nothing. Nothing is published while the source region is down (the replica cannot
    know its lag then), so the last datapoint is the lag at the failure.
    """

    name = "replica-lag"

    def __init__(
        self, rds: dict[str, Any], cloudwatch: dict[str, Any], conditions: Conditions,
        interval: float = 5.0,
    ) -> None:
        super().__init__(interval, tick_at_start=True)
        self._rds, self._cloudwatch = rds, cloudwatch
        self._conditions = conditions

    def tick(self) -> None:
        # A missing datapoint is tolerable (the base logs it); a dead thread is not.
        for region, identifier in self.replicas():
            self.publish_once(region, identifier)

    def replicas(self) -> list[tuple[str, str]]:
        """(region, identifier) of every replica whose source region is up."""
        found = []
        for region, client in self._rds.items():
            for db in client.describe_db_instances()["DBInstances"]:
                source = db.get("ReadReplicaSourceDBInstanceIdentifier")
                if source is None:
                    continue
                source_region = source.split(":")[3] if source.startswith("arn:") else region
                if not self._conditions.is_down(source_region):
                    found.append((region, db["DBInstanceIdentifier"]))
        return found

    def publish_once(self, region: str, identifier: str) -> None:
        self._cloudwatch[region].put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": identifier}],
                    "Value": self._conditions.replication_lag,
                    "Unit": "Seconds",
                }
            ],
        )


def _scan(dynamodb: Any, table: str) -> Iterator[Item]:
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
