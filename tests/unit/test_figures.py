"""Each kind's measurement is journaled typed and read back by its one reader (the fold)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.controller.execute import journal_verdict
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError
from drctl.core.figures import (
    ChaosFigures,
    FailoverFigures,
    FireVerdict,
    RunbookFigures,
    read_figures,
)
from drctl.core.measurement import Measurement, RpoReading
from drctl.core.run import RunStatus, run_lease_name
from drctl.core.summary import summarise
from drctl.store.base import load_run
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0, FakeStep, drill_figures
from tests.unit.test_controller_tick import job
from tests.unit.test_run_ends import FailingStore

DRCTL = Path(__file__).resolve().parents[2] / "drctl"
RPO = RpoReading(12.5, "heartbeat:roadtrip-heartbeats", "2026-01-01T11:59:00+00:00",
                 "2026-01-01T11:59:12.500000+00:00", store="heartbeats")
RECOVERY = Measurement(T0, "alarm:api-5xx", T0 + timedelta(seconds=95), 95.0, RPO, 3600, 900)

EVERY_KIND = [
    ("failover", FailoverFigures(RECOVERY, [{"store": "heartbeats", "rpo_seconds": 12.5}])),
    ("drill", drill_figures(recovery=RECOVERY, validated_at=T0 + timedelta(seconds=95),
                            restored=[{"type": "dynamodb", "name": "t-drill"}],
                            validation={"passed": True}, cleanup={"status": "done"},
                            rpo_verdict="RPO 12.5s meets the 15m target", targets_met=True)),
    ("chaos", ChaosFigures("deviated", "api-5xx fired", "operator", True, {"status": "x"})),
    ("runbook", RunbookFigures(RECOVERY, rto_lower_bound=True)),
    ("drill", FireVerdict("skipped", "outside the window")),
]


@pytest.mark.parametrize(("kind", "figures"), EVERY_KIND)
def test_each_kinds_figures_are_journaled_and_read_back_typed(kind, figures) -> None:
    engine = Engine(MemoryStore(), FakeClock(T0))
    run_id = engine.start(kind, {})
    engine.execute(run_id, [FakeStep("one")], measure=lambda _run: figures)

    run = load_run(engine.store, run_id)

    assert run.figures == figures
    assert run.measurement == figures.to_dict()  # `runs show --json` shows it as journaled
    assert {k: run.to_dict()[k] for k in figures.to_dict()} == figures.to_dict()


def test_a_failover_journal_from_before_rpo_detail_still_reads_its_rpo() -> None:
    old = {"rto_seconds": 42.0, "rto_target_seconds": 3600.0, "rpo_seconds": 20.0,
           "rpo_target_seconds": 15.0, "rpo_source": "heartbeat:t"}
    figures = read_figures("failover", old)
    assert isinstance(figures, FailoverFigures)
    assert figures.recovery.rpo == RpoReading(20.0, "heartbeat:t")
    assert (figures.recovery.rto_met, figures.recovery.rpo_met) == (True, False)


def test_a_document_this_drctl_cannot_read_is_not_measured_and_the_run_still_folds() -> None:
    store = MemoryStore()
    engine = Engine(store, FakeClock(T0))
    run_id = engine.start("drill", {"rto_target_seconds": 60.0})
    engine.emit(run_id, "run_measured", measurement={"rto_seconds": 3.0, "shape": "newer"})
    engine.emit(run_id, "run_finished", status="succeeded")

    run = load_run(store, run_id)

    assert run.figures is None and run.measurement["shape"] == "newer"
    summary = summarise(run)
    assert (summary.rto.seconds, summary.rto.target_seconds) == (None, 60.0)


def test_a_fire_verdict_reads_the_same_whatever_the_kind() -> None:
    for kind in ("drill", "chaos", "runbook"):
        assert read_figures(kind, {"verdict": "missed", "verdict_reason": "late"}) == \
            FireVerdict("missed", "late")
    assert read_figures("reprotect", {"x": 1}) is None
    assert read_figures("failover", {}) is None


def test_the_engine_is_the_one_writer_of_run_measured() -> None:
    """Every measurement is journaled through `Engine.measured`, so it is one of the typed
    figures: no other code emits a `run_measured` document of its own making."""
    writers = [str(path.relative_to(DRCTL)) for path in DRCTL.rglob("*.py")
               if re.search(r"""["']run_measured["']\s*,""", path.read_text())]
    assert writers == ["core/engine.py"]


def test_a_refused_fire_is_journaled_with_a_typed_verdict() -> None:
    engine = Engine(MemoryStore(), FakeClock(T0))
    run_id = journal_verdict(engine, job(), "skipped", "outside the window")
    run = load_run(engine.store, run_id)
    assert run.figures == FireVerdict("skipped", "outside the window")
    assert run.status is RunStatus.ABORTED and summarise(run).verdict == "skipped"


def test_a_refused_fire_whose_verdict_cannot_be_written_still_ends() -> None:
    store = FailingStore("run_measured")
    engine = Engine(store, FakeClock(T0))
    with pytest.raises(AwsError, match="throttled"):
        journal_verdict(engine, job(), "missed", "beyond the grace")
    [run_id] = store.run_ids()
    assert load_run(store, run_id).status is RunStatus.FAILED
    assert store.lease(run_lease_name(run_id)) is None
