"""The store contract against the DynamoDB backend, in the sandbox (real DynamoDB wire calls).

The same tests as tests/unit/test_store_contract.py, test_store_locks.py and
test_store_leases.py and test_store_summaries.py, with `store` bound to a DynamoStore on a
fresh table; the migration of a table from before summaries; and a failover journaled in
DynamoDB through the CLI.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from drctl.store.dynamodb import DynamoStore
from drctl.store.errors import NewerJournal
from tests.e2e.helpers import Cli
from tests.unit import (
    test_store_contract,
    test_store_leases,
    test_store_locks,
    test_store_summaries,
)

CONTRACT = {
    name: test for module in (test_store_contract, test_store_locks, test_store_leases,
                              test_store_summaries)
    for name, test in vars(module).items()
    if name.startswith("test_") and not name.startswith("test_sqlite")
}
globals().update(CONTRACT)


@pytest.fixture
def store(aws: ClientFactory) -> Iterator[DynamoStore]:
    backend = DynamoStore(aws.client("dynamodb", "us-east-1"), f"drctl-{secrets.token_hex(4)}")
    backend.create_table()
    yield backend
    aws.client("dynamodb", "us-east-1").delete_table(TableName=backend.table)


def test_contract_tests_were_collected() -> None:
    assert len(CONTRACT) >= 30
    assert {"test_concurrent_acquirers_exactly_one_wins",  # locks
            "test_concurrent_lease_acquirers_exactly_one_wins"} <= set(CONTRACT)


def forget_summaries(store: DynamoStore) -> None:
    """Make the table look as drctl left it before summaries and the id index existed."""
    client = store._db
    for pk in ("summary", "summary#failover", "ids"):
        items = client.query(TableName=store.table, KeyConditionExpression="pk = :pk",
                             ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
        for item in items:
            client.delete_item(TableName=store.table, Key={"pk": item["pk"], "sk": item["sk"]})
    store.put_setting("schema", None)


def test_a_table_from_before_summaries_is_migrated_once(store: DynamoStore) -> None:
    for i in range(3):
        test_store_summaries.begin(store, f"fo-{i}", minutes=i, target_region="us-west-2")
        test_store_summaries.end(store, f"fo-{i}", minutes=i + 1)
    forget_summaries(store)
    assert store.summaries() == [] and store.ids_with_prefix("fo-") == []

    assert store.migrate() == 3
    assert store.migrate() == 0

    assert [(s.run_id, s.status) for s in store.summaries()] == [
        ("fo-2", "succeeded"), ("fo-1", "succeeded"), ("fo-0", "succeeded")]
    assert store.ids_with_prefix("fo-") == ["fo-0", "fo-1", "fo-2"]


def test_a_table_from_a_newer_drctl_is_refused(store: DynamoStore) -> None:
    store.put_setting("schema", "99")

    with pytest.raises(NewerJournal, match="newer drctl"):
        store.migrate()


def test_two_operators_share_runs_and_locks_through_dynamodb(
    make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    use_sandbox(sandbox)
    manager.outage(sandbox.state_dir, "us-east-1")
    shared = {"DRCTL_STATE": "dynamodb://drctl-team?region=us-west-2"}
    alice = Cli(sandbox, tmp_path / "alice")
    bob = Cli(sandbox, tmp_path / "bob")  # another machine: its own local state dir

    crashed = alice("failover", "--region", "us-west-2", "--yes",
                    env={**shared, "DRCTL_CRASH_AT": "step_succeeded:switch_dns"})
    assert crashed.returncode < 0
    blocked = bob("failover", "--region", "us-west-2", "--yes", env=shared)
    assert blocked.returncode == 4, blocked.stderr
    listed = json.loads(bob("runs", "list", "--json", env=shared).stdout)
    assert len(listed) == 1
    resumed = bob("failover", "--resume", listed[0]["run_id"], "--json", env=shared)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    # Nothing went to the local journals.
    assert not (tmp_path / "alice" / "journal.db").exists()
    assert not (tmp_path / "bob" / "journal.db").exists()
