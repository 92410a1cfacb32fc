"""The fake's DynamoDB tables for drills (see drctl/aws/fake.py): point-in-time restores that
honour the time asked, on-demand backups, tags.

A table keeps every version of every item with the time it was written (`write`), so a
restore as of T holds, per key, the newest version written at or before T -- what AWS's PITR
promises. Items are in DynamoDB's wire format, as the real adapter returns them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from drctl.aws.dynamodb_restore import DynamoDbRestore, Item, PitrWindow, TableBackup, TableState
from drctl.aws.not_faked import NoClient
from drctl.core.errors import ResourceMissing


@dataclass
class FakeTable:
    state: TableState
    versions: list[tuple[datetime, Item]] = field(default_factory=list)
    pitr: PitrWindow = field(default_factory=lambda: PitrWindow(False))
    backups: list[TableBackup] = field(default_factory=list)
    # Polls of describe_table a restored table stays CREATING for.
    creating_polls: int = 0

    def items(self, at: datetime | None = None) -> list[Item]:
        newest: dict[str, Item] = {}
        for written, item in sorted(self.versions, key=lambda v: v[0]):
            if at is None or written <= at:
                newest[json.dumps([item.get(k) for k in self.state.key], sort_keys=True)] = item
        return list(newest.values())


@dataclass
class FakeTables:
    """Tables by (region, name); `restore_polls`: how long a restore stays CREATING."""

    tables: dict[tuple[str, str], FakeTable] = field(default_factory=dict)
    restore_polls: int = 1

    def create(self, region: str, name: str, key: tuple[str, ...], created_at: datetime,
               pitr: PitrWindow | None = None) -> FakeTable:
        arn = f"arn:aws:dynamodb:{region}:123456789012:table/{name}"
        table = FakeTable(TableState(name, arn, "ACTIVE", key, created_at=created_at),
                          pitr=pitr or PitrWindow(False))
        self.tables[(region, name)] = table
        return table


class FakeDynamoDbRestore(DynamoDbRestore):
    def __init__(self, tables: FakeTables, region: str, did: Callable[[str], None]) -> None:
        super().__init__(NoClient("dynamodb"), region)
        self.fake, self.did = tables, did

    def _table(self, name: str) -> FakeTable:
        found = self.fake.tables.get((self.region, name))
        if found is None:
            raise ResourceMissing(f"table {name} not found in {self.region}")
        return found

    def table(self, name: str) -> TableState:
        found = self._table(name)
        if found.creating_polls > 0:
            found.creating_polls -= 1
            return replace(found.state, status="CREATING")
        return found.state

    def pitr_window(self, table: str) -> PitrWindow:
        return self._table(table).pitr

    def latest_backup(self, table: str) -> TableBackup | None:
        available = [b for b in self._table(table).backups if b.status == "AVAILABLE"]
        return max(available, key=lambda b: b.created_at, default=None)

    def restore_to_point_in_time(self, source: str, target: str, at: datetime | None) -> None:
        origin = self._table(source)
        when = at or origin.pitr.latest
        assert when is not None, "a PITR table has a latest restorable time"
        self._restored(origin, target, origin.items(when), when, when)
        self.did("dynamodb.restore_to_point_in_time")

    def restore_from_backup(self, backup_arn: str, target: str) -> None:
        for origin in list(self.fake.tables.values()):
            for backup in origin.backups:
                if backup.arn == backup_arn:
                    self._restored(origin, target, origin.items(backup.created_at), None,
                                   backup.created_at)
                    self.did("dynamodb.restore_from_backup")
                    return
        raise ResourceMissing(f"backup {backup_arn} not found")

    def _restored(self, origin: FakeTable, target: str, items: list[Item],
                  restored_to: datetime | None, as_of: datetime) -> None:
        created = self.fake.create(self.region, target, origin.state.key, as_of)
        created.state = replace(created.state, restored_to=restored_to)
        created.versions = [(as_of, item) for item in items]
        created.creating_polls = self.fake.restore_polls

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        for table in self.fake.tables.values():
            if table.state.arn == arn:
                table.state = replace(table.state, tags={**table.state.tags, **tags})
                return
        raise ResourceMissing(f"{arn} not found")

    def tags(self, arn: str) -> dict[str, str]:
        return next((dict(t.state.tags) for t in self.fake.tables.values()
                     if t.state.arn == arn), {})

    def table_names(self) -> list[str]:
        return [name for region, name in self.fake.tables if region == self.region]

    def delete_table(self, name: str) -> bool:
        self.did("dynamodb.delete_table")
        return self.fake.tables.pop((self.region, name), None) is not None

    def items(self, table: str, segment: tuple[int, int] | None = None) -> Iterator[Item]:
        """Every item, or every `total`-th from `index` on for segment `(index, total)`."""
        found = self._table(table).items()
        yield from found if segment is None else found[segment[0]::segment[1]]

    def item_count(self, table: str) -> int:
        return len(self._table(table).items())

    def get_item(self, table: str, key: Item) -> Item | None:
        return next((i for i in self._table(table).items()
                     if all(i.get(k) == v for k, v in key.items())), None)
