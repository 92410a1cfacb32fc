"""`python -m bench detection`: detection latency of the controller's alarm watch, event-driven
(the alarms' SNS topic -> the controller's queue) against polling every 5 s, in one sandbox.

Each round: a controller (criteria `for: 0s`, confirmation approval) watches; `sandbox outage`
puts the primary's alarms in ALARM; the failover it opens journals `detection.latency_seconds`
(criteria met -> run opened; with `for: 0s` the criteria are met at the alarm transition), and
where it went: `decision_seconds` until the watch saw the criteria met and claimed the incident,
`opening_seconds` for the failover's own pre-start work (lock, target resolution, reading every
resource it will touch) until its run is opened. The run is then rejected, the region
restored, and the next round starts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import (
    Sandbox,
    median,
    quick_options,
    roadtrip_with,
    running_controller,
    sandbox,
    table,
    write_result,
)
from drctl.core.run import RunStatus
from drctl.sandbox import manager
from drctl.store.base import list_runs
from drctl.store.sqlite import SqliteStore


def playbook(path: Path, event: bool) -> Path:
    """Roadtrip, no schedules, criteria `for: 0s`, confirmation by approval; with or without
    the alarms' topic (event-driven or polling)."""
    topic = "  topic: drctl-detection-alarms\n"
    return roadtrip_with(path, controller="{poll_interval: 5s, canary: {enabled: false}}",
                         edit=[(topic, (topic if event else "")
                                + "  failover: {when: any, for: 0s}\n"),
                               ("  mode: prompt ", "  mode: approval ")])


def one_round(box: Sandbox, event: bool, index: int) -> dict[str, Any]:
    state = box.state_dir / f"journal-{'event' if event else 'poll'}-{index}"
    book = playbook(box.state_dir / f"detect-{index}.yaml", event)
    try:
        with running_controller(["--state-dir", str(state), "controller", "--playbook",
                                 str(book)], box.env):
            time.sleep(6 if event else 1)  # subscribed in both regions; a poll's phase is random
            manager.outage(box.state_dir, "us-east-1")
            run = wait_for_run(state / "journal.db")
            box.drctl("--state-dir", str(state), "reject", run.run_id, "--reason", "bench")
    finally:
        manager.restore(box.state_dir, "us-east-1")
        time.sleep(3)
    return dict(run.params["detection"])


def wait_for_run(journal: Path, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists():
            store = SqliteStore(journal)
            runs = [r for r in list_runs(store, "failover") if r.status is RunStatus.WAITING]
            store.close()
            if runs:
                return runs[0]
        time.sleep(0.2)
    raise RuntimeError("no failover was opened")


PARTS = ("latency_seconds", "decision_seconds", "opening_seconds")


def main(argv: list[str]) -> int:
    args = quick_options("detection", __doc__, argv, "one round of each watch instead of 3")
    rounds = 1 if args.quick else 3
    results: dict[str, dict[str, list[float]]] = {
        "event-driven": {p: [] for p in PARTS}, "polling (5 s)": {p: [] for p in PARTS}}
    with sandbox(replication_lag=2.0) as box:
        for index in range(rounds):
            for name, event in (("event-driven", True), ("polling (5 s)", False)):
                detection = one_round(box, event, index)
                for part in PARTS:
                    results[name][part].append(float(detection[part]))
    rows = [[name, median(parts["latency_seconds"]), max(parts["latency_seconds"]),
             median(parts["decision_seconds"]), median(parts["opening_seconds"]),
             len(parts["latency_seconds"])] for name, parts in results.items()]
    write_result("detection", {"rounds": rounds, "seconds": results,
                               "target": "<= 1 s event-driven, <= one poll interval polling"},
                 echo=args.json)
    if not args.json:
        print(table(["watch", "median latency (s)", "max (s)", "of which: seen (s)",
                     "failover start (s)", "rounds"], rows))
    return 0
