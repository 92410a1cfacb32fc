"""Failover at scale: drctl against the sequential script and the critical-path floor.

`python -m bench failover [--services N ...] [--latency 100ms] [--route53-rate 5] [--quick]
[--json]`. For each estate size, in one run and on fresh sandboxes seeded alike
(`drctl sandbox up --estate-size N`), with N ms injected into every AWS call and Route53
throttled: (a) `drctl failover` as a whole process; (b) `bench/sequential_failover.py`, the plain
boto3 loop a team would write; (c) the floor, computed from the estate (see `floor_seconds`).
Both (a) and (b) must leave the same final estate, read back with boto3, or the row fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    Sandbox,
    at_most,
    cell,
    duration,
    median,
    parser,
    positive,
    sandbox,
    table,
    write_result,
)
from drctl.core.clock import parse_iso
from drctl.sandbox.scaled_estate import MAX_SERVICES

SOURCE, TARGET = "us-east-1", "us-west-2"
# The ECS tasks the sandbox starts are PENDING this long, and its scheduler converges twice a
# second: the scaling wait every approach pays once (drctl.sandbox.ecs_scheduler).
SANDBOX_TASK_STARTUP = 2.0
SANDBOX_SCHEDULER_PERIOD = 0.5
ROUTE53_BATCH = 1000  # changes in one ChangeResourceRecordSets call, at most


def floor_seconds(latency: float, records: int = 1, rate: float = 5.0) -> float:
    """The longest chain of calls that must follow one another, computed from the estate.

    In the mission's step order (traffic moved, then capacity): the records' weights in
    change batches of at most ROUTE53_BATCH changes (two a record, source and target), sent at
    once, and a GetChange each to see it INSYNC (the sandbox's changes are INSYNC at once):
    two calls one after the other, unless Route53's bucket (`rate` a second, a burst of
    max(1, rate)) holds the last call back until (calls - burst) / rate. Then -- every service,
    group and replica in parallel -- one update and one describe that sees it done, after the
    sandbox's task start-up and one scheduler period. Reads of the current state are not
    counted: a floor need not look before it writes. At 5 requests/s and up to 1,000 records
    (two batches, four calls within the burst) that is 4 x latency + 2.5 s.
    """
    calls = 2 * -(-2 * records // ROUTE53_BATCH)
    held_back = max(0.0, calls - max(1.0, rate)) / rate
    dns = max(2 * latency, held_back + latency)
    scale = 2 * latency + SANDBOX_TASK_STARTUP + SANDBOX_SCHEDULER_PERIOD
    return dns + scale


def parse(argv: list[str]) -> argparse.Namespace:
    options = parser("failover", __doc__)
    options.add_argument("--services", type=at_most(int, MAX_SERVICES), action="append",
                         metavar="N",
                         help="extra services in the estate (repeat; default 10, 50, 200)")
    options.add_argument("--latency", type=duration(), default=0.1, metavar="DURATION",
                         help="injected per AWS call (default 100ms)")
    options.add_argument("--route53-rate", type=positive(float), default=5.0,
                         help="requests/s (default 5)")
    options.add_argument("--repeat", type=positive(int), default=None,
                         help="runs per figure (default 3)")
    options.add_argument("--quick", action="store_true", help="one run per figure")
    options.add_argument("--skip-sequential", action="store_true",
                         help="only drctl and the floor (to iterate on drctl)")
    options.add_argument("--json", action="store_true", help="print the result as JSON")
    return options.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv or [])
    latency = args.latency
    repeat = args.repeat or (1 if args.quick else 3)
    rows = [measure(n, latency, args.route53_rate, repeat, args.skip_sequential)
            for n in (args.services or [10, 50, 200])]
    document = {"latency_seconds": latency, "route53_rate": args.route53_rate,
                "repeat": repeat, "rows": rows}
    path = write_result("failover", document)
    if args.json:  # one size: the row itself, with the inputs it was measured with
        inputs = {k: v for k, v in document.items() if k != "rows"}
        print(json.dumps({**inputs, **rows[0]} if len(rows) == 1 else document, indent=2))
        return 0
    print(f"failover at scale, {latency * 1000:g} ms per AWS call, Route53 at "
          f"{args.route53_rate:g} req/s, median of {repeat} (results in {path})")
    print(table(
        ["services", "drctl s", "seq s", "floor s", "drctl/seq", "drctl/floor", "drctl calls",
         "seq calls", "throttled d/s", "journal %"],
        [[r["services"], r["drctl_seconds"], r["sequential_seconds"], r["floor_seconds"],
          r["drctl_vs_sequential"], r["drctl_vs_floor"], r["drctl_calls"], r["sequential_calls"],
          f"{r['drctl_throttled']}/{cell(r['sequential_throttled'])}",
          f"{r['journal_share_of_wall'] * 100:.1f}" if r["journal_share_of_wall"] else "-"]
         for r in rows]))
    print(where_drctl_went(rows))
    return 0


def where_drctl_went(rows: list[dict[str, Any]]) -> str:
    """drctl's wall time by phase: launched -> run opened -> first step, then each step."""
    steps = list(rows[0]["drctl_steps"] or {})
    return table(["services", "run opened s", "first step s", *steps],
                 [[r["services"], r["drctl_run_opened_after"], r["drctl_first_step_after"],
                   *[(r["drctl_steps"] or {}).get(name) for name in steps]] for r in rows])


def measure(extra: int, latency: float, rate: float, repeat: int, skip_seq: bool
            ) -> dict[str, Any]:
    # In turn, so the machine's load drifting during the row weighs on both alike.
    drctl_runs, seq_runs = [], []
    for _ in range(repeat):
        drctl_runs.append(one_run(extra, latency, rate, "drctl"))
        if not skip_seq:
            seq_runs.append(one_run(extra, latency, rate, "sequential"))
    for d_run, s_run in zip(drctl_runs, seq_runs or drctl_runs, strict=True):
        problem = estate_problems(d_run["expected"], d_run["estate"],
                                  s_run["estate"] if seq_runs else None)
        if problem:
            raise RuntimeError(f"at {extra + 3} services the final estate is not the "
                               f"playbook's:\n{problem}")
    floor = floor_seconds(latency, records=extra + 1, rate=rate)  # Roadtrip's api record too
    d = median([r["seconds"] for r in drctl_runs])
    s = median([r["seconds"] for r in seq_runs]) if seq_runs else None
    writes = drctl_runs[0].get("journal_writes")
    return {
        "services": extra + 3, "drctl_seconds": round(d, 2),
        "sequential_seconds": round(s, 2) if s else None, "floor_seconds": round(floor, 2),
        "drctl_vs_sequential": round(d / s, 3) if s else None,
        "drctl_vs_floor": round(d / floor, 3),
        "drctl_calls": drctl_runs[0]["calls"],
        "sequential_calls": seq_runs[0]["calls"] if seq_runs else None,
        "drctl_throttled": drctl_runs[0]["throttled"],
        "sequential_throttled": seq_runs[0]["throttled"] if seq_runs else None,
        "drctl_steps": drctl_runs[0].get("steps"),
        "drctl_run_opened_after": median([r["run_opened_after"] for r in drctl_runs]),
        "drctl_first_step_after": median([r["first_step_after"] for r in drctl_runs]),
        "journal_events": drctl_runs[0].get("journal_events"),
        "journal_writes": writes,
        "journal_share_of_wall": (round(drctl_runs[0]["journal_seconds"] / d, 4)
                                  if drctl_runs[0].get("journal_seconds") else None),
    }


def one_run(extra: int, latency: float, rate: float, approach: str) -> dict[str, Any]:
    with sandbox(extra) as sb:
        playbook = sb.state_dir / "scaled.yaml"
        playbook.write_text(sb.drctl("sandbox", "playbook").stdout)
        sb.drctl("sandbox", "faults", "--api-latency", f"{latency * 1000:g}ms",
                 "--throttle", f"route53={rate:g}/s")
        sb.drctl("sandbox", "outage", "--region", SOURCE)
        before = sb.truth()["faults"]["injected"]
        began = time.perf_counter()
        facts = _run_drctl(sb, playbook) if approach == "drctl" else _run_script(sb, playbook)
        seconds = time.perf_counter() - began
        after = sb.truth()["faults"]["injected"]
        sb.drctl("sandbox", "faults", "--clear")
        if facts.get("journal_writes"):
            facts["journal_seconds"] = facts["journal_writes"] * journal_append_seconds(
                sb.state_dir)
        return {"seconds": seconds, **facts,
                "calls": after["delayed"] - before["delayed"],
                "throttled": after["throttled"] - before["throttled"],
                "estate": read_estate(sb, playbook),
                "expected": expected_estate(yaml.safe_load(playbook.read_text()))}


def _run_drctl(sb: Sandbox, playbook: Path) -> dict[str, Any]:
    launched = time.time()
    done = sb.drctl("failover", "--playbook", str(playbook), "--region", TARGET, "--yes",
                    "--json", check=False)
    if done.returncode != 0:
        raise RuntimeError(f"drctl failover exited {done.returncode}: {done.stderr[-2000:]}")
    run = json.loads(done.stdout)
    first_step = min(parse_iso(s["started_at"]) for s in run["steps"] if s["started_at"])
    return {"steps": {s["name"]: s["duration_seconds"] for s in run["steps"]},
            # The process launched -> its run opened (`run_started`), and -> its first step.
            "run_opened_after": round(parse_iso(run["started_at"]).timestamp() - launched, 2),
            "first_step_after": round(first_step.timestamp() - launched, 2),
            **_journal_counts(sb.state_dir / "journal.db", run["run_id"])}


def _journal_counts(db: Path, run_id: str) -> dict[str, int | None]:
    """The events the run journaled, and its durable writes: each write is one fsync'ed
    transaction, and the events of one (`append_many`: a step's batch of changes) share
    their timestamp. Read from the SQLite journal."""
    import sqlite3

    try:
        with sqlite3.connect(db) as conn:
            events, writes = conn.execute(
                "SELECT count(*), count(DISTINCT at) FROM events WHERE run_id = ?",
                (run_id,)).fetchone()
            return {"journal_events": int(events), "journal_writes": int(writes)}
    except sqlite3.Error:  # another journal layout: the fraction is then not reported
        return {"journal_events": None, "journal_writes": None}


def journal_append_seconds(directory: Path) -> float:
    """The median cost of one durable append on this disk, now (bench/journal.py's measure)."""
    from bench.journal import append_seconds
    from drctl.store.sqlite import SqliteStore

    counter = iter(range(1000))
    return append_seconds(lambda: SqliteStore(directory / f"append-{next(counter)}.db"))


def _run_script(sb: Sandbox, playbook: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.sequential_failover", str(playbook),
                           SOURCE, TARGET], env=sb.env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=Path(__file__).parent.parent,
                          check=False)
    if done.returncode != 0:  # what went wrong, not only that it did (CalledProcessError)
        raise RuntimeError(f"the sequential script exited {done.returncode}: "
                           f"{done.stderr[-2000:]}")
    return {}


def read_estate(sb: Sandbox, playbook: Path) -> dict[str, Any]:
    """The final estate the failover is about, read with boto3 (as the sandbox's own caller)."""
    import boto3

    from drctl.sandbox.faults import INTERNAL_AGENT

    spec = yaml.safe_load(playbook.read_text())
    config = _config(INTERNAL_AGENT)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    endpoint = sb.env["AWS_ENDPOINT_URL"]
    r53 = session.client("route53", region_name=SOURCE, endpoint_url=endpoint, config=config)
    weights = {}
    for page in r53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=sb.document["seeded"]["route53"]["zone_id"]):
        for rr in page["ResourceRecordSets"]:
            if "SetIdentifier" in rr:
                weights[f"{rr['Name']}/{rr['SetIdentifier']}"] = rr.get("Weight")
    ecs = session.client("ecs", region_name=TARGET, endpoint_url=endpoint, config=config)
    desired = {}
    for cfg in spec["scale"]["ecs"]:
        names = list(cfg["services"])
        for i in range(0, len(names), 10):
            for svc in ecs.describe_services(cluster=cfg["cluster"],
                                             services=names[i:i + 10])["services"]:
                desired[f"{cfg['cluster']}/{svc['serviceName']}"] = svc["desiredCount"]
    asg = session.client("autoscaling", region_name=TARGET, endpoint_url=endpoint, config=config)
    groups = {g["AutoScalingGroupName"]: g["DesiredCapacity"]  # 50 a page: every page
              for page in asg.get_paginator("describe_auto_scaling_groups").paginate()
              for g in page["AutoScalingGroups"]}
    rds = session.client("rds", region_name=TARGET, endpoint_url=endpoint, config=config)
    replicas = {db["DBInstanceIdentifier"]: bool(db.get("ReadReplicaSourceDBInstanceIdentifier"))
                for db in rds.describe_db_instances()["DBInstances"]}
    return {"weights": weights, "services": desired, "groups": groups, "is_replica": replicas}


def _config(agent: str) -> Any:
    from botocore.config import Config

    return Config(user_agent_extra=agent, retries={"mode": "standard", "max_attempts": 10})


def expected_estate(playbook: dict[str, Any]) -> dict[str, Any]:
    """What a failover of `playbook` to TARGET leaves, as `read_estate` reads it: every record's
    weight on TARGET, none on SOURCE; every service at its count; every group at its desired
    capacity; the replica promoted."""
    weight = playbook["dns"].get("weight", 100)
    weights = {}
    for record in playbook["dns"]["records"]:
        name = record["name"].rstrip(".") + "."
        weights[f"{name}/{TARGET}"], weights[f"{name}/{SOURCE}"] = weight, 0
    replica = playbook["scale"].get("rds_promote", {}).get("replicas", {}).get(TARGET)
    return {"weights": weights,
            "services": {f"{cfg['cluster']}/{name}": count for cfg in playbook["scale"]["ecs"]
                         for name, count in cfg["services"].items()},
            "groups": {cfg["group"]: cfg["desired"] for cfg in playbook["scale"]["autoscaling"]},
            "is_replica": {replica: False} if replica else {}}


def estate_problems(expected: dict[str, Any], drctl: dict[str, Any],
                    script: dict[str, Any] | None) -> str:
    """Why the run fails, or "": what drctl left differs from what the playbook asks for, or
    from what the script left (everything both read, not only the playbook's resources);
    the script too must have done the playbook's failover (a baseline that did less would be
    faster for it). The first 40 differences, one a line."""
    lines = _diff(expected, drctl, "playbook", "drctl", only_first=True)
    if script is not None:
        lines += _diff(expected, script, "playbook", "script", only_first=True)
        lines += _diff(drctl, script, "drctl", "script")
    return "\n".join(lines[:40])


def _diff(a: dict[str, Any], b: dict[str, Any], a_name: str, b_name: str,
          only_first: bool = False) -> list[str]:
    """`a`'s and `b`'s values that differ, part by part (`only_first`: only `a`'s keys)."""
    lines = []
    for part in sorted(set(a) | set(b)):
        ours, theirs = a.get(part, {}), b.get(part, {})
        for key in sorted(set(ours) if only_first else set(ours) | set(theirs)):
            if ours.get(key, _MISSING) != theirs.get(key, _MISSING):
                lines.append(f"  {part} {key}: {a_name} {ours.get(key, _MISSING)!r}, "
                             f"{b_name} {theirs.get(key, _MISSING)!r}")
    return lines


_MISSING = "(missing)"
