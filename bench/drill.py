"""Drills: drctl's PITR drill against the bare restore calls, and the validation scan's speed.

`python -m bench drill [--items N] [--latency 20ms] [--quick] [--json]`. On one sandbox whose
`roadtrip-pois` table holds N extra items (100,000 by default), in one run and in turn:

- (a) `drctl drill --target dynamodb:roadtrip-pois --kind pitr --json` as a whole process
  (start-up, pre-flight, restore, wait, validation of every item, clean-up, journal);
- (b) the bare calls a script would make for the same drill, with boto3: restore to the latest
  restorable time, wait until ACTIVE, scan the restored table and the source once each (the
  validation's reads, one segment each), delete the restored table;
- (c) the table scan alone: both tables read one segment at a time, then with parallel
  segments (the `Segment`/`TotalSegments` scan drctl uses), in drctl's pages
  (`SCAN_PAGE_ITEMS` items a request; (b) reads DynamoDB's default 1 MB pages).

Overhead = (a) minus (b)'s restore/wait/delete calls minus the fastest scan of (c), as a share
of (a). (c) reads the source twice: the validation reads two tables of that size. Target: at
most 10 %, and drctl's validation reads at the speed of the parallel scan.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bench.common import (
    Sandbox,
    at_most,
    duration,
    median,
    not_negative,
    parser,
    positive,
    sandbox,
    table,
    write_result,
)
from drctl.aws.dynamodb_restore import SCAN_PAGE_ITEMS

T = TypeVar("T")
R = TypeVar("R")
REGION, TABLE = "us-east-1", "roadtrip-pois"
OTHER_REGION = "us-west-2"  # the sandbox replicates the table there
BATCH = 25  # BatchWriteItem's limit


MAX_SEGMENTS = 1_000_000  # DynamoDB's limit on TotalSegments


def parse(argv: list[str]) -> argparse.Namespace:
    """The options, checked before anything runs (a bad value once started a sandbox and
    failed minutes later, or after the whole drill)."""
    options = parser("drill", __doc__)
    options.add_argument("--items", type=not_negative, default=100_000,
                         help="items added to the table (default 100,000)")
    options.add_argument("--latency", type=duration(allow_zero=True), default=0.0,
                         metavar="DURATION", help="injected per AWS call (e.g. 20ms; default none)")
    options.add_argument("--segments", type=at_most(int, MAX_SEGMENTS), default=8,
                         help="parallel scan segments for (c) (default 8)")
    options.add_argument("--repeat", type=positive(int), default=None,
                         help="runs per figure (default 3)")
    options.add_argument("--quick", action="store_true", help="one run per figure")
    options.add_argument("--json", action="store_true", help="print the result as JSON")
    return options.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv or [])
    repeat = args.repeat or (1 if args.quick else 3)
    latency = f"{args.latency * 1000:g}ms"
    with sandbox() as sb:
        seeded = fill(sb, args.items)
        replicated(sb, seeded)
        if args.latency:
            sb.drctl("sandbox", "faults", "--api-latency", latency)
        runs = [one_round(sb, args.segments) for _ in range(repeat)]
    row = summarise(runs, seeded, latency, args.segments, repeat)
    path = write_result("drill", row)
    if args.json:
        print(json.dumps(row, indent=2))
        return 0
    print(f"PITR drill of {TABLE} with {row['items']} items, {latency} per AWS call, "
          f"median of {repeat} (results in {path})")
    print(table(["drctl s", "bare calls s", "scan 1-seg s", f"scan {args.segments}-seg s",
                 "drctl validate s", "overhead s", "overhead %"],
                [[row["drctl_seconds"], row["bare_calls_seconds"], row["scan_sequential_seconds"],
                  row["scan_parallel_seconds"], row["drctl_validate_seconds"],
                  row["overhead_seconds"], row["overhead_percent"]]]))
    return 0


def one_round(sb: Sandbox, segments: int) -> dict[str, Any]:
    drctl = _run_drctl(sb)
    bare = _run_bare(sb)
    # The validation reads two tables of the same size: the source, twice, stands for both.
    client = _client(sb)
    page = SCAN_PAGE_ITEMS  # drctl's page size: (c) isolates what drctl adds to its reads
    sequential = _timed(lambda: (scan(client, TABLE, 1, page), scan(client, TABLE, 1, page)))
    parallel = _timed(lambda: (scan(client, TABLE, segments, page),
                               scan(client, TABLE, segments, page)))
    return {**drctl, "bare_calls": bare["calls_seconds"], "bare_scan": bare["scan_seconds"],
            "scan_sequential": sequential, "scan_parallel": parallel}


def summarise(runs: list[dict[str, Any]], items: int, latency: str, segments: int,
              repeat: int) -> dict[str, Any]:
    def m(key: str) -> float:
        return round(median([r[key] for r in runs]), 3)

    scan_floor = min(m("scan_sequential"), m("scan_parallel"))
    overhead = m("drctl") - m("bare_calls") - scan_floor
    return {"items": items, "latency": latency, "segments": segments, "repeat": repeat,
            "drctl_seconds": m("drctl"), "drctl_steps": runs[0]["steps"],
            "drctl_validate_seconds": m("drctl_validate"),
            "bare_calls_seconds": m("bare_calls"), "bare_scan_seconds": m("bare_scan"),
            "scan_sequential_seconds": m("scan_sequential"),
            "scan_parallel_seconds": m("scan_parallel"),
            "overhead_seconds": round(overhead, 3),
            "overhead_percent": round(100 * overhead / m("drctl"), 1)}


def fill(sb: Sandbox, count: int) -> int:
    """Add `count` items stamped an hour ago (so every one is judged), in parallel batches."""
    client = _client(sb, internal=True)
    stamp = str(int(time.time()) - 3600)
    batches = [[{"PutRequest": {"Item": _item(i, stamp)}}
                for i in range(start, min(start + BATCH, count))]
               for start in range(0, count, BATCH)]
    in_parallel(lambda batch: _write(client, batch), batches, workers=8)
    return item_count(client, TABLE)


def replicated(sb: Sandbox, count: int, timeout: float = 1200.0) -> None:
    """Wait until the sandbox's replicator has copied the filled table to the other region:
    until then it writes the items through the same moto process the drill reads from, and
    whatever ran first would pay for it (it did: ~18 s of the 100,000-item drill)."""
    other = _client(sb, internal=True, region=OTHER_REGION)
    deadline = time.monotonic() + timeout
    # DescribeTable's ItemCount (live in the sandbox): a counting Scan every few seconds
    # would itself load the moto process the copy goes through.
    while other.describe_table(TableName=TABLE)["Table"]["ItemCount"] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{TABLE} not replicated to {OTHER_REGION} in {timeout:.0f} s")
        time.sleep(5.0)


def item_count(client: Any, name: str) -> int:
    """The table's items, every page counted (one Scan page stops at 1 MB)."""
    kwargs: dict[str, Any] = {"TableName": name, "Select": "COUNT"}
    total = 0
    while True:
        page = client.scan(**kwargs)
        total += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _item(i: int, stamp: str) -> dict[str, Any]:
    return {"poi_id": {"S": f"bench-{i:07d}"}, "updated_at": {"N": stamp},
            "name": {"S": f"point of interest {i}"}, "notes": {"S": "x" * 80}}


def _write(client: Any, batch: list[dict[str, Any]]) -> None:
    pending = {TABLE: batch}
    while pending:
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _run_drctl(sb: Sandbox) -> dict[str, Any]:
    began = time.perf_counter()
    done = sb.drctl("drill", "--target", f"dynamodb:{TABLE}", "--kind", "pitr", "--json")
    seconds = time.perf_counter() - began
    run = json.loads(done.stdout)[0]
    steps = {s["name"]: s["duration_seconds"] for s in run["steps"]}
    return {"drctl": seconds, "steps": steps, "drctl_validate": steps.get("validate", 0.0)}


def _run_bare(sb: Sandbox) -> dict[str, Any]:
    """The same drill as a script: restore, wait, the validation's two scans, delete."""
    client = _client(sb)
    restored = f"{TABLE}-bare-{int(time.time() * 1000)}"
    began = time.perf_counter()
    client.restore_table_to_point_in_time(SourceTableName=TABLE, TargetTableName=restored,
                                          UseLatestRestorableTime=True)
    while client.describe_table(TableName=restored)["Table"]["TableStatus"] != "ACTIVE":
        time.sleep(1.0)
    restore_done = time.perf_counter()
    scan(client, restored, 1)
    scan(client, TABLE, 1)
    scanned = time.perf_counter()
    client.delete_table(TableName=restored)
    ended = time.perf_counter()
    return {"scan_seconds": scanned - restore_done,
            "calls_seconds": (restore_done - began) + (ended - scanned)}


def scan(client: Any, name: str, segments: int, limit: int | None = None) -> int:
    """Read every item of `name` (strongly consistent), `segments` segments in parallel, in
    pages of at most `limit` items (DynamoDB's 1 MB pages when None)."""
    def segment(index: int) -> int:
        kwargs: dict[str, Any] = {"TableName": name, "ConsistentRead": True}
        if limit is not None:
            kwargs["Limit"] = limit
        if segments > 1:
            kwargs.update(Segment=index, TotalSegments=segments)
        count = 0
        while not stop.is_set():
            page = client.scan(**kwargs)
            count += len(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return count
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return count  # stopped: the count is not used

    stop = threading.Event()  # set on a failure: the other segments end at their next page
    return sum(in_parallel(segment, range(segments), workers=segments, stop=stop))


def in_parallel(work: Callable[[T], R], items: Iterable[T], workers: int,
                stop: threading.Event | None = None) -> list[R]:
    """`work` on every item, `workers` at a time, results in order. An exception (a failed
    call, Ctrl-C) sets `stop` (for work that loops) and cancels the items not yet started: a
    `with ThreadPoolExecutor()` block would run every queued item before it let the exception
    -- and the sandbox's clean-up -- through (at 100,000 items, thousands of batch writes)."""
    pool = ThreadPoolExecutor(workers)
    try:
        return list(pool.map(work, items))
    except BaseException:
        if stop is not None:
            stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _timed(work: Any) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def _client(sb: Sandbox, internal: bool = False, region: str = REGION) -> Any:
    """A DynamoDB client on the sandbox; `internal` ones bypass the injected faults (seeding)."""
    import boto3
    from botocore.config import Config

    from drctl.sandbox.faults import INTERNAL_AGENT

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    config = Config(user_agent_extra=INTERNAL_AGENT if internal else None,
                    retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=32)
    return session.client("dynamodb", region_name=region, endpoint_url=sb.env["AWS_ENDPOINT_URL"],
                          config=config)
