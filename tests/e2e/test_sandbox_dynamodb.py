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
