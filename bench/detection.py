"""`python -m bench detection`: detection latency of the controller's alarm watch, event-driven
(the alarms' SNS topic -> the controller's queue) against polling every 5 s, in one sandbox.

Each round: a controller (criteria `for: 0s`, confirmation approval) watches; `sandbox outage`
puts the primary's alarms in ALARM; the failover it opens journals `detection.latency_seconds`
(criteria met -> run opened; with `for: 0s` the criteria are met at the alarm transition). The
run is then rejected, the region restored, and the next round starts. The run is opened after
the failover's own pre-start work (lock, target resolution, reading every resource it will
touch), which is part of the figure.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Sandbox, median, sandbox, table, write_result
from drctl.core.run import RunStatus
from drctl.sandbox import manager
from drctl.store.base import list_runs
from drctl.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]


def playbook(path: Path, event: bool) -> Path:
    text = (ROOT / "playbooks" / "roadtrip.yaml").read_text(encoding="utf-8")
    start, end = text.index("schedules:\n"), text.index("# Restore drills")
    text = (text[:start] + "controller: {poll_interval: 5s, canary: {enabled: false}}\n\n"
            + text[end:])
    text = text.replace("  topic: drctl-detection-alarms\n",
                        ("  topic: drctl-detection-alarms\n" if event else "")
                        + "  failover: {when: any, for: 0s}\n")
    path.write_text(text.replace("  mode: prompt ", "  mode: approval "), encoding="utf-8")
    return path


def one_round(box: Sandbox, event: bool, index: int) -> dict[str, Any]:
    state = box.state_dir / f"journal-{'event' if event else 'poll'}-{index}"
    book = playbook(box.state_dir / f"detect-{index}.yaml", event)
    process = subprocess.Popen(
        [sys.executable, "-m", "drctl", "--state-dir", str(state), "controller", "--playbook",
         str(book)], env=box.env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "leader_elected" in line:
                break
        # Keep reading its log: a full pipe would stall the controller being measured.
        threading.Thread(target=process.stderr.read, daemon=True).start()
        time.sleep(6 if event else 1)  # subscribed in both regions; a poll's phase is random
        manager.outage(box.state_dir, "us-east-1")
        run = wait_for_run(state / "journal.db")
        box.drctl("--state-dir", str(state), "reject", run.run_id, "--reason", "bench")
    finally:
        process.terminate()
        process.wait(timeout=60)
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


def main(argv: list[str]) -> int:
    rounds = 1 if "--quick" in argv else 3
    results: dict[str, list[float]] = {"event-driven": [], "polling (5 s)": []}
    with sandbox(replication_lag=2.0) as box:
        for index in range(rounds):
            for name, event in (("event-driven", True), ("polling (5 s)", False)):
                detection = one_round(box, event, index)
                results[name].append(float(detection["latency_seconds"]))
    rows = [[name, median(values), max(values), len(values)]
            for name, values in results.items()]
    print(table(["watch", "median latency (s)", "max (s)", "rounds"], rows))
    write_result("detection", {"rounds": rounds, "latency_seconds": results,
                               "target": "<= 1 s event-driven, <= one poll interval polling"})
    return 0
