"""CLI start-up: `drctl --help`, `runs list` and `failover --help` against `python -c pass`.

`python -m bench startup [--quick] [--json]`. Each command runs as a whole process, several times
in turn (so load hits all of them alike); the figure is its median CPU time (user + system, from
the child's rusage) and wall time. Target: `drctl --help` under 0.25 s of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.common import median, table, write_result

TARGET_HELP_CPU = 0.25


def commands(state_dir: str) -> dict[str, list[str]]:
    drctl = [sys.executable, "-m", "drctl"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "drctl --help": [*drctl, "--help"],
        "drctl runs list": [*drctl, "--state-dir", state_dir, "runs", "list"],
        "drctl failover --help": [*drctl, "failover", "--help"],
    }


def run_once(argv: list[str]) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "100"})
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench startup", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 runs each instead of 15")
    parser.add_argument("--json", action="store_true", help="print the result as JSON, no table")
    args = parser.parse_args(argv or [])
    rounds = 5 if args.quick else 15
    with tempfile.TemporaryDirectory() as state_dir:
        todo = commands(state_dir)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in todo}
        for _ in range(rounds):
            for name, command in todo.items():
                samples[name].append(run_once(command))
    rows: list[dict[str, Any]] = [
        {"command": name, "cpu_seconds": round(median([c for c, _ in s]), 3),
         "wall_seconds": round(median([w for _, w in s]), 3)} for name, s in samples.items()]
    help_cpu = float(next(r["cpu_seconds"] for r in rows if r["command"] == "drctl --help"))
    document = {"rounds": rounds, "rows": rows, "target_help_cpu_seconds": TARGET_HELP_CPU,
                "help_target_met": help_cpu < TARGET_HELP_CPU}
    path = write_result("startup", document)
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    print(f"CLI start-up, median of {rounds} whole processes each (results in {path})")
    print(table(["command", "cpu s", "wall s"],
                [[r["command"], r["cpu_seconds"], r["wall_seconds"]] for r in rows]))
    print(f"drctl --help: {help_cpu:.3f} s CPU (target < {TARGET_HELP_CPU} s): "
          f"{'met' if help_cpu < TARGET_HELP_CPU else 'MISSED'}")
    return 0
