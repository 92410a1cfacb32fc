"""What `drctl drill` prints when a drill ends: each thing once (issue 9 item 18).

The run is made through the real engine on the fake clock, with the CLI's progress renderer and
the after-run subscriber (as `drctl drill` wires them) printing to one recorded console.
"""

from __future__ import annotations

import io
from datetime import timedelta

from rich.console import Console

from drctl.cli.drill import render_drill
from drctl.cli.render import ProgressRenderer
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.store import load_run
from drctl.drill.measure import drill_measurement
from drctl.drill.resources import DrillState
from drctl.drill.spec import DrillSpec
from drctl.report.after_run import AfterRun
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder, TimedStep


def recording() -> Console:
    return Console(file=io.StringIO(), width=100, record=True, highlight=False)


def test_a_failed_drill_prints_its_error_and_its_rto_rpo_once() -> None:
    store, clock, console = MemoryStore(), FakeClock(T0), recording()
    progress = ProgressRenderer(console)
    after = AfterRun(store, clock, None, None,
                     lambda text: console.print(text, markup=False, soft_wrap=True),
                     region="us-east-1", brief=True)
    build = JournalBuilder(Engine(store, clock, [progress, after]), clock)
    run_id = build.drill("rds:roadtrip-db", "snapshot", restore=100, validates=False)

    render_drill(console, load_run(store, run_id), progress.errors_shown)

    out = console.export_text()
    assert out.count("validate failed on purpose") == 1, out  # the ✗ line, as it happened
    assert [line.split()[0] for line in out.splitlines()
            if line.startswith(("RTO", "RPO"))] == ["RTO", "RPO"], out
    assert out.count(f"runs show {run_id}") == 1  # the after-run footer, once


def test_runs_show_of_a_failed_drill_prints_its_error() -> None:
    """Without the progress (a drill rendered later), the error is printed with the run."""
    store, clock, console = MemoryStore(), FakeClock(T0), recording()
    build = JournalBuilder(Engine(store, clock, []), clock)
    run_id = build.drill("rds:roadtrip-db", "snapshot", restore=100, validates=False)

    render_drill(console, load_run(store, run_id))

    assert "error: validate failed on purpose" in console.export_text()


def test_an_rds_drill_shows_how_todays_source_differs_from_the_restore() -> None:
    store, clock, console = MemoryStore(), FakeClock(T0), recording()
    build = JournalBuilder(Engine(store, clock, []), clock)
    target = next(t for t in build.playbook.drills.targets  # type: ignore[union-attr]
                  if t.target == "rds:roadtrip-db")
    spec = DrillSpec(target, "snapshot", None, 0.0, 3600.0, 900.0, "roadtrip")
    state = DrillState(started_at=T0, restore_point=T0 - timedelta(hours=1),
                       restore_started_at=T0, validated_at=T0 + timedelta(minutes=5))
    state.validation = {"type": "rds-instance", "passed": True, "problems": [],
                        "compared_with": "snapshot", "mismatches": {},
                        "source_differences": {"allocated_storage": {"source": 40,
                                                                     "restored": 20}}}
    run_id = build.engine.start("drill", spec.params())
    build.engine.execute(run_id, [TimedStep("restore")],
                         measure=lambda _run: drill_measurement(spec, state))

    render_drill(console, load_run(store, run_id))

    out = console.export_text()
    assert "source today   differs from the restore (information: a snapshot restore is " \
           "judged against what the snapshot recorded):" in out, out
    assert "allocated_storage: source today 40, restored 20" in out


def test_drill_help_says_json_is_an_array(capsys) -> None:  # type: ignore[no-untyped-def]
    from drctl.cli.main import run

    assert run(["drill", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "Print a JSON array on stdout: one run object per drill that ran" in text, text
    assert "JSON object on stdout" not in text
