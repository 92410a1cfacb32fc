"""`python -m bench report`: `drctl report` over 1,000 runs (target: a second or two).

The journal is made through the real engine on a fake clock (700 failovers, 200 drills, 100
chaos experiments, one every 6 hours), then read the way `drctl report` reads it. Rows: the
view-model alone (from the run summaries, as `drctl report` reads; and, for comparison, by
folding every run's journal, as it read before summaries), each renderer on top of it, and
the whole CLI in a fresh process (its CPU time includes importing drctl). Wall and CPU
seconds: on a busy machine read the CPU column.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.common import median, quick_options, table, write_result
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.report.export import report_to_dict
from drctl.report.model import Filters, Report, build_report, report_from_store
from drctl.report.records import HISTORY_LIMIT, record_from_run
from drctl.report.text import render_table, to_markdown
from drctl.store.base import list_runs
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder

RUNS = 1000


def build_journal(path: Path, runs: int) -> None:
    store, clock = SqliteStore(path), FakeClock(T0)
    # Making the journal is not what is measured: skip the fsync per event.
    store._db.execute("PRAGMA synchronous=OFF")
    build = JournalBuilder(Engine(store, clock), clock)
    for n in range(runs):
        if n % 10 < 7:
            build.failover(2 + n % 4 + (30 if n % 97 == 0 else 0), rpo=5 + n % 7,
                           smoke_fails=n % 50 == 0)
        elif n % 10 < 9:
            build.drill("rds:roadtrip-db" if n % 2 else "dynamodb:roadtrip-pois",
                        "snapshot" if n % 2 else "pitr", restore=60 + n % 30,
                        validates=n % 40 != 8)
        else:
            build.chaos(passes=n % 30 != 9)
        build.next_day(0.25)
    store.close()


def timed(what: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds: on a shared machine the CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        what()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return median(walls), median(cpus)


def cli_seconds(state: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "drctl", "--state-dir", str(state), "report",
                           "--since", "2025-12-01T00:00:00Z", "--json"],
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert len(json.loads(done.stdout)["groups"]) == 3
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main(argv: list[str]) -> int:
    args = quick_options("report", __doc__, argv, "one round instead of 3")
    rounds = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="drctl-bench-report-") as tmp:
        state = Path(tmp)
        began = time.perf_counter()
        build_journal(state / "journal.db", RUNS)
        made = time.perf_counter() - began
        store = SqliteStore(state / "journal.db")
        now, filters = T0 + timedelta(days=RUNS / 4 + 1), Filters(T0 - timedelta(days=1))

        def view() -> Report:
            return report_from_store(store, now, filters)

        def folded() -> Report:
            history = sorted((record_from_run(run) for run in list_runs(store, None,
                                                                       HISTORY_LIMIT)),
                             key=lambda r: (r.started_at, r.run_id))
            return build_report(history, now, filters)

        report = view()
        assert sum(g.runs + g.unfinished for g in report.groups) == RUNS
        assert folded() == report  # the summaries give the very same report
        timings = [("view-model (read + compute)", timed(view, rounds)),
                   ("  the same, folding every journal", timed(folded, rounds)),
                ("+ table", timed(lambda: render_table(Console(file=io.StringIO()),
                                                       view()), rounds)),
                ("+ json", timed(lambda: json.dumps(report_to_dict(view())), rounds)),
                ("+ markdown", timed(lambda: to_markdown(view()), rounds)),
                ("+ html (charts)", timed(lambda: _html(view()), 1)),
                ("drctl report --json (new process)", cli_seconds(state))]
        store.close()
    write_result("report", {"runs": RUNS, "rounds": rounds, "seconds": {
        name: {"wall": wall, "cpu": cpu} for name, (wall, cpu) in timings}}, echo=args.json)
    if not args.json:
        print(f"{RUNS} runs in the journal (made in {made:.1f} s)")
        print(table(["what", "wall s", "cpu s"], [(n, w, c) for n, (w, c) in timings]))
    return 0


def _html(report: Report) -> str:
    from drctl.report.html import report_html

    return report_html(report)
