"""DynamoDB journal store: one table shared by a team, or by controllers in two regions.

Single-table layout (string keys `pk`, `sk`):

    run#<run_id>     evt#<seq:08d>     one journal event (type, at, step, data as JSON)
    runs             <started_at>#<id> the run index (kind, run_id), for listing newest first
    lock#<name>      lock              a held lock (run_id, holder as JSON)
    lease#<name>     lease             a lease (version as a number, lease as JSON)
    setting#<key>    setting           a named value

and the summaries and id index of `dynamodb_index.py`, refreshed after each lifecycle event.

Every write is conditional, so concurrent writers never overwrite each other: the next `seq` is
claimed with `attribute_not_exists(sk)` and retried on conflict; a lock is taken only when absent
or already held by the same run; a lease is written only over the version it was decided on
(compare-and-swap), so of two writers deciding on the same record one fails and decides
again. `drctl store create-table` (or `create_table`) makes the table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog

from drctl.aws.errors import aws_call
from drctl.core.clock import iso, parse_iso
from drctl.core.errors import AwsError, InvalidInput, ResourceMissing, UnknownRun
from drctl.core.events import Event, is_lifecycle
from drctl.core.lease import Lease, same_lease
from drctl.core.store import LockHeld, LockHolder, acquire_each
from drctl.core.summary import RunSummary, summary_of
from drctl.store.dynamodb_index import SCHEMA_VERSION, DynamoIndex
from drctl.store.errors import NewerJournal
from drctl.store.lease_swap import LeaseSwap

CONFLICT = ("ConditionalCheckFailedException", "TransactionCanceledException")
TRANSACTION_LIMIT = 100  # items in one TransactWriteItems
log = structlog.get_logger("drctl.store")


class DynamoStore(LeaseSwap):
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self.table = table
        self._index = DynamoIndex(client, table)

    def create_table(self) -> None:
        """Create the table (on-demand billing) if it does not exist, and wait for it."""
        try:
            with aws_call(f"describe table {self.table}"):
                self._db.describe_table(TableName=self.table)
            return
        except ResourceMissing:
            pass
        with aws_call(f"create table {self.table}"):
            self._db.create_table(
                TableName=self.table, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"}],
            )
            self._db.get_waiter("table_exists").wait(TableName=self.table)

    def append(self, event: Event) -> Event:
        for _ in range(20):  # optimistic: another writer may claim the same seq first
            seq = 1 if event.type == "run_started" else self._last_seq(event.run_id) + 1
            if seq == 1 and event.type != "run_started":
                raise InvalidInput(f"run {event.run_id} has no run_started event")
            try:
                self._put_event(event, seq)
            except AwsError as exc:
                if exc.code not in CONFLICT:
                    raise
                if event.type == "run_started":
                    raise InvalidInput(f"run {event.run_id} already started") from exc
                continue
            if is_lifecycle(event.type):
                self._refresh_summary(event.run_id)
            return Event(event.run_id, event.type, event.at, event.step, event.data, seq)
        raise AwsError(f"could not append to run {event.run_id}: too much contention")

    def append_many(self, events: Sequence[Event]) -> list[Event]:
        """In TransactWriteItems of up to 100 events (its limit), each event's put conditional
        on its `seq` being free, as `append`'s; a conflict re-reads the run's last `seq` and
        tries the chunk again. A `run_started` (which writes the index too) goes alone."""
        appended: list[Event] = []
        chunk: list[Event] = []
        for event in events:
            if event.type == "run_started":
                appended += [*self._append_chunk(chunk), self.append(event)]
                chunk = []
                continue
            chunk.append(event)
            if len(chunk) == TRANSACTION_LIMIT:
                appended, chunk = appended + self._append_chunk(chunk), []
        return appended + self._append_chunk(chunk)

    def _append_chunk(self, events: list[Event]) -> list[Event]:
        if not events:
            return []
        for _ in range(20):  # optimistic, as `append`
            numbered = self._numbered(events)
            puts = [{"Put": {"TableName": self.table, "Item": self.event_item(e, seq),
                             "ConditionExpression": "attribute_not_exists(sk)"}}
                    for e, seq in numbered]
            try:
                with aws_call(f"append to run {events[0].run_id}"):
                    self._db.transact_write_items(TransactItems=puts)
            except AwsError as exc:
                if exc.code not in CONFLICT:
                    raise
                continue
            for run_id in dict.fromkeys(e.run_id for e in events if is_lifecycle(e.type)):
                self._refresh_summary(run_id)
            return [Event(e.run_id, e.type, e.at, e.step, e.data, seq) for e, seq in numbered]
        raise AwsError(f"could not append to run {events[0].run_id}: too much contention")

    def _numbered(self, events: list[Event]) -> list[tuple[Event, int]]:
        """Each event with the next free `seq` of its run, as read now."""
        runs = dict.fromkeys(e.run_id for e in events)
        last = {run_id: self._last_seq(run_id) for run_id in runs}
        numbered = []
        for event in events:
            if last[event.run_id] == 0:
                raise InvalidInput(f"run {event.run_id} has no run_started event")
            last[event.run_id] += 1
            numbered.append((event, last[event.run_id]))
        return numbered

    def _refresh_summary(self, run_id: str) -> None:
        """The event is durable already; a summary that could not be written is rebuilt at
        the run's next lifecycle event (or by `migrate`), so it must not fail the append."""
        try:
            self._index.put_summary(summary_of(self.events(run_id)))
        except AwsError as exc:
            log.warning("summary_not_written", run_id=run_id, error=str(exc))

    def _put_event(self, event: Event, seq: int) -> None:
        put = {"TableName": self.table, "Item": self.event_item(event, seq),
               "ConditionExpression": "attribute_not_exists(sk)"}
        with aws_call(f"append to run {event.run_id}"):
            if event.type != "run_started":
                self._db.put_item(**put)
                return
            self._db.transact_write_items(TransactItems=[{"Put": put}] + [
                {"Put": item} for item in self.index_items(event)])

    def event_item(self, event: Event, seq: int) -> dict[str, Any]:
        item = {
            "pk": {"S": f"run#{event.run_id}"}, "sk": {"S": f"evt#{seq:08d}"},
            "type": {"S": event.type}, "at": {"S": iso(event.at) or ""},
            "data": {"S": json.dumps(event.data, sort_keys=True, default=str)},
        }
        if event.step:
            item["step"] = {"S": event.step}
        return item

    def index_items(self, started: Event) -> list[dict[str, Any]]:
        """What a run's start adds besides its event: the listing index and the id index."""
        runs = {"TableName": self.table, "Item": {
            "pk": {"S": "runs"}, "sk": {"S": f"{iso(started.at)}#{started.run_id}"},
            "run_id": {"S": started.run_id}, "kind": {"S": str(started.data["kind"])}}}
        return [runs, self._index.id_item(started.run_id)]

    def _last_seq(self, run_id: str) -> int:
        with aws_call(f"read run {run_id}"):
            page = self._db.query(
                TableName=self.table, KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"run#{run_id}"}},
                ScanIndexForward=False, Limit=1, ConsistentRead=True,
            )
        items = page.get("Items", [])
        return int(items[0]["sk"]["S"].removeprefix("evt#")) if items else 0

    def events(self, run_id: str) -> list[Event]:
        items = self._query(f"run#{run_id}", forward=True)
        if not items:
            raise UnknownRun(f"no run {run_id!r}", hint="see `drctl runs list`")
        return [Event(run_id, i["type"]["S"], parse_iso(i["at"]["S"]), i.get("step", {}).get("S"),
                      json.loads(i["data"]["S"]), int(i["sk"]["S"].removeprefix("evt#")))
                for i in items]

    def run_ids(self, kind: str | None = None, limit: int = 100) -> list[str]:
        items = self._query("runs", forward=False)
        return [i["run_id"]["S"] for i in items if kind in (None, i["kind"]["S"])][:limit]

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        return self._index.ids_with_prefix(prefix, limit)

    def summaries(self, kind: str | None = None, since: datetime | None = None,
                  playbook: str | None = None, limit: int = 100) -> list[RunSummary]:
        return self._index.summaries(kind, since, playbook, limit)

    def put_summary(self, summary: RunSummary) -> None:
        self._index.put_summary(summary)

    def check_integrity(self) -> None:
        """DynamoDB keeps its own storage whole; there is no file to damage."""

    def migrate(self) -> int:
        """Bring a table from before summaries up to date: an id item and a summary for every
        run. Refuses (NewerJournal) a table written by a newer drctl. Returns runs migrated."""
        version = int(self.get_setting("schema") or 1)
        if version > SCHEMA_VERSION:
            raise NewerJournal(f"dynamodb://{self.table}", version, SCHEMA_VERSION)
        if version == SCHEMA_VERSION:
            return 0
        run_ids = [i["run_id"]["S"] for i in self._query("runs", forward=False)]
        for run_id in run_ids:
            with aws_call(f"index run {run_id}"):
                self._db.put_item(**self._index.id_item(run_id))
            self._index.put_summary(summary_of(self.events(run_id)))
        self.put_setting("schema", str(SCHEMA_VERSION))
        return len(run_ids)

    def _query(self, pk: str, forward: bool) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}}, "ScanIndexForward": forward,
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        with aws_call(f"query {self.table}"):
            while True:
                page = self._db.query(**kwargs)
                items += page.get("Items", [])
                if "LastEvaluatedKey" not in page:
                    return items
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def acquire_lock(self, holder: LockHolder, replace: LockHolder | None = None
                     ) -> LockHolder:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if replace is not None:
            condition = {
                "ConditionExpression": "attribute_not_exists(pk) OR holder = :observed",
                "ExpressionAttributeValues": {":observed": {"S": _holder_json(replace)}},
            }
        try:
            with aws_call(f"take lock {holder.name}"):
                self._db.put_item(
                    TableName=self.table,
                    Item={"pk": {"S": f"lock#{holder.name}"}, "sk": {"S": "lock"},
                          "run_id": {"S": holder.run_id},
                          "holder": {"S": _holder_json(holder)}},
                    **condition,
                )
        except AwsError as exc:
            current = self.lock(holder.name) if exc.code in CONFLICT else None
            if current is None:
                raise
            raise LockHeld(current) from None
        return holder

    def acquire_free_locks(self, holders: Sequence[LockHolder]) -> list[LockHolder]:
        return acquire_each(self, holders)  # conditional puts: no cheaper partial batch

    def release_lock(self, name: str, run_id: str) -> bool:
        try:
            with aws_call(f"release lock {name}"):
                self._db.delete_item(
                    TableName=self.table, Key={"pk": {"S": f"lock#{name}"}, "sk": {"S": "lock"}},
                    ConditionExpression="run_id = :rid",
                    ExpressionAttributeValues={":rid": {"S": run_id}},
                )
        except AwsError as exc:
            if exc.code in CONFLICT:
                return False
            raise
        return True

    def lock(self, name: str) -> LockHolder | None:
        item = self._get(f"lock#{name}", "lock")
        return LockHolder.from_dict(json.loads(item["holder"]["S"])) if item else None

    def _swap_lease(self, name: str, decide: Callable[[Lease | None], Lease]) -> Lease:
        for _ in range(20):  # a conflict means another writer changed it: decide again
            current = self.lease(name)
            lease = decide(current)
            try:
                self._put_lease(lease, current)
            except AwsError as exc:
                if exc.code not in CONFLICT:
                    raise
                continue
            return lease
        raise AwsError(f"could not write lease {name}: too much contention")

    def _put_lease(self, lease: Lease, replaces: Lease | None) -> None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if replaces is not None:
            condition = _same_lease(replaces)
        with aws_call(f"write lease {lease.name}"):
            self._db.put_item(
                TableName=self.table, **condition,
                Item={**_lease_key(lease.name), "version": {"N": str(lease.version)},
                      "holder": {"S": lease.holder},
                      "lease": {"S": json.dumps(lease.to_dict(), sort_keys=True)}})

    def release_lease(self, lease: Lease) -> bool:
        if not same_lease(self.lease(lease.name), lease):
            return False
        try:
            with aws_call(f"release lease {lease.name}"):
                self._db.delete_item(TableName=self.table, Key=_lease_key(lease.name),
                                     **_same_lease(lease))
        except AwsError as exc:
            if exc.code in CONFLICT:
                return False
            raise
        return True

    def lease(self, name: str) -> Lease | None:
        item = self._get(f"lease#{name}", "lease")
        return Lease.from_dict(json.loads(item["lease"]["S"])) if item else None

    def get_setting(self, key: str) -> str | None:
        item = self._get(f"setting#{key}", "setting")
        return item["value"]["S"] if item else None

    def put_setting(self, key: str, value: str | None) -> None:
        keys = {"pk": {"S": f"setting#{key}"}, "sk": {"S": "setting"}}
        with aws_call(f"write setting {key}"):
            if value is None:
                self._db.delete_item(TableName=self.table, Key=keys)
            else:
                self._db.put_item(TableName=self.table, Item={**keys, "value": {"S": value}})

    def put_settings(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            self.put_setting(key, value)

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        with aws_call(f"read {pk}"):
            item = self._db.get_item(TableName=self.table, ConsistentRead=True,
                                     Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
        return dict(item) if item else None

    def close(self) -> None:
        pass


def _lease_key(name: str) -> dict[str, Any]:
    return {"pk": {"S": f"lease#{name}"}, "sk": {"S": "lease"}}


def _same_lease(lease: Lease) -> dict[str, Any]:
    """The condition that the stored lease is still `lease` (holder and version)."""
    return {"ConditionExpression": "version = :v AND holder = :h",
            "ExpressionAttributeValues": {":v": {"N": str(lease.version)},
                                          ":h": {"S": lease.holder}}}


def _holder_json(holder: LockHolder) -> str:
    # Canonical, so that the compare-and-swap compares like with like.
    return json.dumps(holder.to_dict(), sort_keys=True)
