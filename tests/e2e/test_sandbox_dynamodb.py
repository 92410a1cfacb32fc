"""Sandbox fidelity: DynamoDB conditional writes are atomic (drctl/sandbox/fidelity.py `_atomic`).

AWS evaluates a write's condition and makes the write as one step, so of several concurrent
`attribute_not_exists` puts of one key exactly one succeeds. drctl's locks, leases and schedule
claims rest on that. moto checks, then stores, without a lock: under load two requests can both
win (CI saw a lock taken twice). Stated through plain boto3, so when moto itself is atomic these
still pass and the fix can go.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config

from drctl.aws.clients import ClientFactory

pytestmark = pytest.mark.e2e

CONTENDERS = 8


def winners_per_round(make_client: Callable[[], Any], table: str, rounds: int) -> list[int]:
    """For each round, CONTENDERS threads put one new key at once; how many succeeded."""
    clients = [make_client() for _ in range(CONTENDERS)]
    counts = []
    for round_ in range(rounds):
        barrier = threading.Barrier(CONTENDERS)
        won: list[int] = []

        def contend(i: int, key: str = f"key-{round_}", barrier: threading.Barrier = barrier,
                    won: list[int] = won) -> None:
            client = clients[i]
            barrier.wait()
            try:
                client.put_item(TableName=table, Item={"k": {"S": key}, "by": {"S": str(i)}},
                                ConditionExpression="attribute_not_exists(k)")
                won.append(i)
            except client.exceptions.ConditionalCheckFailedException:
                pass

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(CONTENDERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        counts.append(len(won))
    return counts


def create_table(client: Any) -> str:
    name = f"atomic-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    return name


def test_of_concurrent_conditional_puts_of_one_key_exactly_one_succeeds(
        aws: ClientFactory) -> None:
    def make() -> Any:
        return aws.client("dynamodb", "us-east-1")
    table = create_table(make())
    try:
        counts = winners_per_round(make, table, rounds=30)
    finally:
        make().delete_table(TableName=table)
    assert counts == [1] * len(counts), f"winners per round: {counts}"


# The race needs a thread switch between moto's condition check and its store, which the
# interpreter's default 5 ms switch interval makes rare on an idle machine (it took a loaded CI
# machine to show it). A moto server whose threads switch every microsecond shows it in most
# runs of a few hundred rounds without the fix (measured: 34 of 300 rounds had two winners).
_FORCED_RACE = """
import sys
sys.setswitchinterval(1e-6)
from moto.server import ThreadedMotoServer
from drctl.sandbox.fidelity import apply_fidelity_fixes
apply_fidelity_fixes()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
sys.stdin.read()
server.stop()
"""


def test_conditional_puts_stay_atomic_when_the_server_switches_threads_constantly() -> None:
    import boto3

    server = subprocess.Popen([sys.executable, "-c", _FORCED_RACE], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"moto server did not start: {url!r}"

        def make() -> Any:
            return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing",
                                config=Config(max_pool_connections=CONTENDERS * 2))
        table = create_table(make())
        counts = winners_per_round(make, table, rounds=150)
    finally:
        server.kill()
        server.wait(timeout=30)
    doubles = [i for i, n in enumerate(counts) if n != 1]
    assert not doubles, f"rounds without exactly one winner: {doubles} ({len(counts)} rounds)"


# -- Scan pages (drctl/sandbox/scan_pages.py): DynamoDB's semantics, at the cost of a page --


def scan_all(client: Any, table: str, **kwargs: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """Every item a paged Scan returns, and each page's size."""
    items, pages = [], []
    while True:
        page = client.scan(TableName=table, ConsistentRead=True, **kwargs)
        items += page["Items"]
        pages.append(len(page["Items"]))
        if "LastEvaluatedKey" not in page:
            return items, pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_table_read_in_pages_and_segments_returns_every_item_once(aws: ClientFactory) -> None:
    client = aws.client("dynamodb", "us-east-1")
    table = f"pages-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                              {"AttributeName": "r", "AttributeType": "N"}],
                        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"},
                                   {"AttributeName": "r", "KeyType": "RANGE"}])
    try:
        keys = {(f"k{i % 37:02d}", str(i)) for i in range(300)}
        for chunk in [sorted(keys)[i:i + 25] for i in range(0, len(keys), 25)]:
            client.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": {"k": {"S": k}, "r": {"N": r}, "v": {"S": "old"}}}}
                for k, r in chunk]})

        def read(**kwargs: Any) -> list[tuple[str, str]]:
            items, pages = scan_all(client, table, **kwargs)
            assert all(size <= kwargs.get("Limit", 10**6) for size in pages), pages
            return [(item["k"]["S"], item["r"]["N"]) for item in items]

        whole = read(Limit=50)
        assert len(whole) == len(set(whole)) and set(whole) == keys
        by_segment = [read(Limit=17, Segment=s, TotalSegments=4) for s in range(4)]
        assert sum(len(part) for part in by_segment) == len(keys)
        assert set().union(*map(set, by_segment)) == keys

        # Writes between two scans are seen by the next one: a deleted item is gone, a new one
        # and a replaced one are read as they are now.
        client.delete_item(TableName=table, Key={"k": {"S": "k00"}, "r": {"N": "0"}})
        client.put_item(TableName=table, Item={"k": {"S": "new"}, "r": {"N": "1"}})
        client.put_item(TableName=table, Item={"k": {"S": "k01"}, "r": {"N": "1"},
                                               "v": {"S": "replaced"}})
        now = keys - {("k00", "0")} | {("new", "1")}
        assert sorted(read(Limit=40)) == sorted(now)
        items, _ = scan_all(client, table, Limit=40)
        assert {i["v"]["S"] for i in items if i["k"]["S"] == "k01" and i["r"]["N"] == "1"} == {
            "replaced"}

        # Filters and projections apply to each page as DynamoDB does (Limit counts the items
        # read, before the filter).
        filtered, pages = scan_all(client, table, Limit=60, FilterExpression="r < :n",
                                   ExpressionAttributeValues={":n": {"N": "100"}},
                                   ProjectionExpression="k")
        assert all(size <= 60 for size in pages)
        assert sorted(i["k"]["S"] for i in filtered) == sorted(
            k for k, r in now if int(r) < 100)
        assert all(set(i) == {"k"} for i in filtered)
    finally:
        client.delete_table(TableName=table)
