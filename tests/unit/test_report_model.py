"""The report's numbers, checked exactly against a journal of known runs (real engine, fake clock).

Failovers (one a day, RTO = 30 s detection lag + 1 + switch_dns + 10 + 5):

    day  switch_dns  RPO    outcome          RTO
    0    2           10     ok               48
    1    3           12     ok               49
    2    4           11     ok               50
    3    3           1000   RPO missed       49
    4    5           9      ok               51
    5    3           10     ok               49
    6    2           10     ok               48
    7    4           10     smoke fails      -
    8    3           10     ok               49
    9    41          14     ok, regression   87
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.report.export import report_to_dict
from drctl.report.model import Filters, Report, build_report
from drctl.report.records import load_records
from drctl.report.regressions import RegressionRule
from drctl.report.stats import nearest_rank
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder

FAILOVERS = [(2, 10, False), (3, 12, False), (4, 11, False), (3, 1000, False), (5, 9, False),
             (3, 10, False), (2, 10, False), (4, 10, True), (3, 10, False), (41, 14, False)]
NOW = T0 + timedelta(days=16)


class Journal(NamedTuple):
    store: MemoryStore
    ids: dict[str, list[str]]
    build: JournalBuilder


@pytest.fixture(scope="module")
def journal() -> Journal:
    store, clock = MemoryStore(), FakeClock(T0)
    build = JournalBuilder(Engine(store, clock), clock)
    ids: dict[str, list[str]] = {"failover": [], "drill": [], "chaos": []}
    for switch_dns, rpo, fails in FAILOVERS:
        ids["failover"].append(build.failover(switch_dns, rpo, smoke_fails=fails))
        build.next_day()
    ids["drill"].append(build.drill("rds:roadtrip-db", "snapshot", restore=300))
    build.next_day()
    ids["drill"].append(build.drill("rds:roadtrip-db", "snapshot", restore=400,
                                    snapshot_age=1200))
    build.next_day()
    ids["drill"].append(build.drill("rds:roadtrip-db", "snapshot", restore=200,
                                    validates=False))
    build.next_day(1 / 24)
    ids["drill"].append(build.drill("dynamodb:roadtrip-pois", "pitr", restore=50,
                                    validates=False))
    build.next_day()
    for passes in (True, False, True):
        ids["chaos"].append(build.chaos(passes))
        build.next_day()
    return Journal(store, ids, build)


def report(store: MemoryStore, **filters: object) -> Report:
    since = filters.pop("since", T0 - timedelta(days=1))
    return build_report(load_records(store), NOW, Filters(since, **filters))  # type: ignore[arg-type]


def group(rep: Report, kind: str):  # type: ignore[no-untyped-def]
    return next(g for g in rep.groups if g.kind == kind)


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([4, 1, 3, 2], 50) == 2
    assert nearest_rank(list(range(1, 11)), 90) == 9
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([], 50) is None


def test_failover_group_figures(journal: Journal) -> None:
    store, _ids = journal.store, journal.ids
    failovers = group(report(store), "failover")
    assert (failovers.playbook, failovers.runs, failovers.passed) == ("roadtrip", 10, 8)
    assert failovers.pass_rate == 0.8
    rto = failovers.rto
    assert (rto.target, rto.last, rto.p50, rto.p90, rto.worst, rto.measured) == \
        (3600.0, 87.0, 49.0, 87.0, 87.0, 9)
    rpo = failovers.rpo
    assert (rpo.target, rpo.last, rpo.p50, rpo.p90, rpo.worst, rpo.measured) == \
        (900.0, 14.0, 10.0, 14.0, 1000.0, 10)


def test_misses_name_runs_and_reasons(journal: Journal) -> None:
    store, ids = journal.store, journal.ids
    misses = group(report(store), "failover").misses
    assert [m.run_id for m in misses] == [ids["failover"][3], ids["failover"][7]]
    assert misses[0].reasons == ("RPO 16m40s over the 15m00s target",)
    assert misses[1].reasons == ("failed: smoke_test failed on purpose", "RTO not measured")


def test_step_regression_flagged_with_its_baseline(journal: Journal) -> None:
    store, ids = journal.store, journal.ids
    regressions = group(report(store), "failover").regressions
    assert [(r.run_id, r.what, r.seconds, r.baseline_p50, r.baseline_runs)
            for r in regressions] == [(ids["failover"][9], "switch_dns", 41.0, 3.0, 9)]
    assert regressions[0].message == "switch_dns took 41 s, p50 of the last 9 runs 3 s"


def test_regression_rule_is_configurable(journal: Journal) -> None:
    store, _ids = journal.store, journal.ids
    rule = RegressionRule(factor=1.5, min_seconds=30.0, window=10, min_history=3)
    rep = build_report(load_records(store), NOW, Filters(T0), rule)
    # RTO 87 vs p50 49 of the 8 earlier measured RTOs: 1.5x and 38 s worse; switch_dns 41 vs 3.
    assert [(r.what, r.baseline_p50) for r in group(rep, "failover").regressions] == \
        [("RTO", 49.0), ("switch_dns", 3.0)]
    strict = build_report(load_records(store), NOW, Filters(T0), RegressionRule(min_seconds=40))
    assert group(strict, "failover").regressions == ()


def test_since_window_keeps_history_for_regressions(journal: Journal) -> None:
    store, ids = journal.store, journal.ids
    failovers = group(report(store, since=T0 + timedelta(days=8)), "failover")
    assert failovers.runs == 2 and failovers.passed == 2
    assert (failovers.rto.p50, failovers.rto.worst) == (49.0, 87.0)
    assert [r.run_id for r in failovers.regressions] == [ids["failover"][9]]


def test_drill_group_and_restore_age(journal: Journal) -> None:
    store, ids = journal.store, journal.ids
    rep = report(store)
    drills = group(rep, "drill")
    assert (drills.runs, drills.passed, drills.pass_rate) == (4, 1, 0.25)
    assert (drills.rto.last, drills.rto.p50, drills.rto.p90, drills.rto.worst) == \
        (402.0, 302.0, 402.0, 402.0)
    assert (drills.rpo.last, drills.rpo.p50, drills.rpo.p90, drills.rpo.worst) == \
        (600.0, 600.0, 1200.0, 1200.0)
    assert [m.run_id for m in drills.misses] == ids["drill"][1:]
    pois, db = rep.restore_ages
    validated = journal.build.started[ids["drill"][1]] + timedelta(seconds=402)
    assert (db.target, db.run_id, db.last_validated_at, db.failed_since) == \
        ("rds:roadtrip-db", ids["drill"][1], validated, 1)
    assert db.age_seconds == (NOW - validated).total_seconds()
    assert db.sentence.startswith("rds:roadtrip-db: last restored and validated 4 days ago")
    assert (pois.target, pois.last_validated_at, pois.run_id) == \
        ("dynamodb:roadtrip-pois", None, None)
    assert pois.sentence == "dynamodb:roadtrip-pois: never restored and validated " \
                            "(1 drill(s) failed)"


def test_chaos_group_has_verdicts_not_targets(journal: Journal) -> None:
    store, ids = journal.store, journal.ids
    chaos = group(report(store), "chaos")
    assert (chaos.runs, chaos.passed, chaos.has_targets) == (3, 2, False)
    assert [r.verdict for r in chaos.records] == ["passed", "deviated", "passed"]
    assert [m.run_id for m in chaos.misses] == [ids["chaos"][1]]


def test_filters_by_kind_and_playbook(journal: Journal) -> None:
    store = journal.store
    assert [g.kind for g in report(store, kind="drill").groups] == ["drill"]
    assert report(store, playbook="other").groups == ()


def test_json_shape(journal: Journal) -> None:
    store, ids = journal.store, journal.ids
    data = report_to_dict(report(store, kind="failover"))
    assert data["since"] == "2025-12-31T12:00:00.000Z"
    (only,) = data["groups"]
    assert {k: only[k] for k in ("playbook", "kind", "runs", "pass_rate")} == \
        {"playbook": "roadtrip", "kind": "failover", "runs": 10, "pass_rate": 0.8}
    assert only["rto"] == {"target": 3600.0, "last": 87.0, "p50": 49.0, "p90": 87.0,
                           "worst": 87.0, "measured_runs": 9}
    assert only["misses"] == [ids["failover"][3], ids["failover"][7]]
    assert only["regressions"][0]["message"] == \
        "switch_dns took 41 s, p50 of the last 9 runs 3 s"
    assert data["restore_age"] == []


def test_unmeasured_target_is_not_shown_missed(journal: Journal) -> None:
    """The failover whose smoke test failed measured its RPO (10 s, met) but not its RTO: its
    summary says 'not measured', never 'MISSED', and it does not count as a pass."""
    from drctl.report.summary import summarize

    records = load_records(journal.store, "failover")
    failed = next(r for r in records if r.run_id == journal.ids["failover"][7])
    summary = summarize(failed, records, NOW)
    assert summary.headline.endswith("failed: RTO not measured")
    assert summary.lines[:2] == ["RTO - (target 1h00m00s, not measured)",
                                 "RPO 10.0s (target 15m00s, met)"]
    assert "MISSED" not in summary.text
    assert (failed.targets_met, failed.passed) == (None, False)
    assert failed.run_id in [m.run_id for m in group(report(journal.store), "failover").misses]


def test_run_html_keeps_its_commands_apart(journal: Journal) -> None:
    """Two commands side by side in one line read as one: they are separated by a word."""
    from drctl.report.html import run_html
    from drctl.report.summary import summarize

    records = load_records(journal.store, "failover")
    summary = summarize(records[0], records, NOW)
    first, second = summary.commands
    assert f"<code>{first}</code> or <code>{second}</code>" in run_html(summary)


def test_runbook_runs_are_grouped_per_runbook() -> None:
    """A runbook run names no playbook: its runs are grouped (and compared for regressions)
    per runbook, not lumped under "-"."""
    from drctl.report.text import to_markdown

    store, clock = MemoryStore(), FakeClock(T0)
    build = JournalBuilder(Engine(store, clock), clock)
    for takes in (5, 5, 5, 30):
        build.runbook("ddb-pitr-restore", takes=takes)
        build.runbook("rds-failover", takes=60)
    failed = build.runbook("rds-failover", fails=True)

    rep = report(store)

    assert [(g.name, g.runs, g.passed) for g in rep.groups] == \
        [("runbook ddb-pitr-restore", 4, 4), ("runbook rds-failover", 5, 4)]
    pitr, rds = rep.groups
    assert [r.message for r in pitr.regressions] == ["step-1 took 30 s, p50 of the last 3 runs 5 s"]
    assert rds.regressions == () and [m.run_id for m in rds.misses] == [failed]
    data = report_to_dict(rep)["groups"]
    assert [(g["playbook"], g["runbook"], g["kind"]) for g in data] == \
        [(None, "ddb-pitr-restore", "runbook"), (None, "rds-failover", "runbook")]
    assert "| runbook rds-failover | runbook | 5 | 80% (4/5) |" in to_markdown(rep)


def test_empty_markdown_report_says_so(journal: Journal) -> None:
    from drctl.report.text import to_markdown

    text = to_markdown(report(journal.store, since=NOW))
    assert "no runs in this window" in text
    assert "|---|" not in text  # no empty table that reads as a report with nothing to say


def test_declared_drill_target_never_drilled_is_listed(journal: Journal) -> None:
    targets = ("s3:roadtrip-media-us-east-1", "rds:roadtrip-db")
    rep = report(journal.store, playbook="roadtrip", drill_targets=targets)
    ages = {a.target: a for a in rep.restore_ages}
    assert set(ages) == {"s3:roadtrip-media-us-east-1", "rds:roadtrip-db",
                         "dynamodb:roadtrip-pois"}
    assert ages["s3:roadtrip-media-us-east-1"].sentence == \
        "s3:roadtrip-media-us-east-1: never drilled"
    assert ages["rds:roadtrip-db"].run_id == journal.ids["drill"][1]  # its drills still count
    assert report(journal.store, kind="chaos", drill_targets=targets).restore_ages == ()


def test_a_bucket_drilled_only_by_prefix_is_not_called_never_drilled() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    build = JournalBuilder(Engine(store, clock), clock)
    run_id = build.drill("s3:roadtrip-media-us-east-1/canary", "versions", restore=5)
    rep = build_report(load_records(store), NOW, Filters(
        T0 - timedelta(days=1), drill_targets=("s3:roadtrip-media-us-east-1",)))
    ages = {a.target: a for a in rep.restore_ages}
    assert ages["s3:roadtrip-media-us-east-1"].sentence == \
        "s3:roadtrip-media-us-east-1: never drilled whole (only s3:roadtrip-media-us-east-1/canary)"
    assert ages["s3:roadtrip-media-us-east-1/canary"].run_id == run_id


def test_fires_the_controller_did_not_run_are_neither_passes_nor_failures() -> None:
    """A scheduled drill or experiment the guards refused (`skipped`) or found past its misfire
    grace (`missed`) proves nothing either way: the report counts it apart ("not run"), not as
    a failed drill, a miss or a lower pass rate; the restore age still shows the missing proof."""
    from drctl.controller.execute import journal_verdict
    from tests.unit.test_controller_tick import job

    store, clock = MemoryStore(), FakeClock(T0)
    engine = Engine(store, clock)
    build = JournalBuilder(engine, clock)
    good = build.drill("dynamodb:roadtrip-pois", "pitr", restore=50)
    clock.advance(60)
    drill = job("pois", "roadtrip", drill={"target": "dynamodb:roadtrip-pois", "kind": "pitr"})
    journal_verdict(engine, drill, "skipped", "another disruptive run holds the playbook")
    journal_verdict(engine, drill, "missed", "1 fire(s) found later than the misfire grace")
    chaos = job("loss", "roadtrip")
    journal_verdict(engine, chaos, "skipped", "outside its windows")
    failed = build.chaos(False)

    rep = build_report(load_records(store), T0 + timedelta(days=1),
                       Filters(T0 - timedelta(days=1)))
    drills = group(rep, "drill")
    assert (drills.runs, drills.passed, drills.not_run, drills.misses) == (1, 1, 2, ())
    [age] = rep.restore_ages
    assert (age.run_id, age.failed_since) == (good, 0)
    assert "failed" not in age.sentence
    chaos_group = group(rep, "chaos")
    assert (chaos_group.runs, chaos_group.passed, chaos_group.not_run) == (1, 0, 1)
    assert [m.run_id for m in chaos_group.misses] == [failed]
    from drctl.report.text import pass_rate
    assert pass_rate(drills) == "100% (1/1, 2 not run)"
    exported = {g["kind"]: g for g in report_to_dict(rep)["groups"]}
    assert (exported["drill"]["not_run"], exported["chaos"]["not_run"]) == (2, 1)
