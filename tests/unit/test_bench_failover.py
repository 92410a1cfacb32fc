"""The failover benchmark's honesty checks, on estates as `read_estate` returns them: a row fails
when drctl (or the script) did not leave the estate the playbook asks for, or when the two
left different estates -- so a faster drctl that skipped a service cannot pass."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.failover import SOURCE, TARGET, _journal_counts, estate_problems, expected_estate
from drctl.core.events import Event
from drctl.sandbox.scaled_estate import ScaledEstate, playbook_yaml
from drctl.store.sqlite import SqliteStore

PLAYBOOK = yaml.safe_load(playbook_yaml(ScaledEstate(10)))


def failed_over() -> dict[str, Any]:
    """The estate after a complete failover, plus a record no playbook names (as the zone has)."""
    estate = copy.deepcopy(expected_estate(PLAYBOOK))
    estate["weights"]["other.example.com./us-east-1"] = 100
    return estate


def test_the_expected_estate_is_the_whole_playbook() -> None:
    expected = expected_estate(PLAYBOOK)
    assert len(expected["services"]) == 13
    assert expected["services"]["roadtrip/api"] == 6  # Roadtrip's own, at production size
    assert expected["services"]["roadtrip-scaled-00/svc-0009"] == 2
    assert len(expected["groups"]) == 2
    assert len(expected["weights"]) == 2 * 11  # api + 10 records, a pair each
    api = f"{PLAYBOOK['dns']['records'][0]['name'].rstrip('.')}."
    assert expected["weights"][f"{api}/{TARGET}"] == 100
    assert expected["weights"][f"{api}/{SOURCE}"] == 0
    assert expected["is_replica"] == {PLAYBOOK["scale"]["rds_promote"]["replicas"][TARGET]: False}


def test_the_same_complete_estate_passes() -> None:
    assert estate_problems(expected_estate(PLAYBOOK), failed_over(), failed_over()) == ""


def test_drctl_leaving_one_service_unscaled_fails_the_row() -> None:
    drctl = failed_over()
    drctl["services"]["roadtrip-scaled-00/svc-0003"] = 1  # the secondary's warm standby
    problems = estate_problems(expected_estate(PLAYBOOK), drctl, failed_over())
    assert "services roadtrip-scaled-00/svc-0003: playbook 2, drctl 1" in problems
    assert "services roadtrip-scaled-00/svc-0003: drctl 1, script 2" in problems


def test_a_service_missing_from_drctls_read_fails_the_row() -> None:
    drctl = failed_over()
    del drctl["services"]["roadtrip-scaled-00/svc-0003"]
    problems = estate_problems(expected_estate(PLAYBOOK), drctl, failed_over())
    assert "svc-0003: playbook 2, drctl '(missing)'" in problems


def test_both_leaving_the_same_service_unscaled_still_fails() -> None:
    both = failed_over()
    both["groups"]["roadtrip-scaled-workers-000"] = 1
    problems = estate_problems(expected_estate(PLAYBOOK), both, copy.deepcopy(both))
    assert "groups roadtrip-scaled-workers-000: playbook 2, drctl 1" in problems
    assert "groups roadtrip-scaled-workers-000: playbook 2, script 1" in problems


def test_a_script_that_did_less_fails_the_row() -> None:
    script = failed_over()
    replica = next(iter(script["is_replica"]))
    script["is_replica"][replica] = True
    problems = estate_problems(expected_estate(PLAYBOOK), failed_over(), script)
    assert f"is_replica {replica}: playbook False, script True" in problems


def test_a_difference_outside_the_playbook_fails_the_row() -> None:
    script = failed_over()
    script["weights"]["other.example.com./us-east-1"] = 0
    problems = estate_problems(expected_estate(PLAYBOOK), failed_over(), script)
    assert problems == "  weights other.example.com./us-east-1: drctl 100, script 0"


def test_without_the_script_drctl_is_still_checked() -> None:
    drctl = failed_over()
    name = next(iter(drctl["weights"]))
    drctl["weights"][name] = 50
    assert f"weights {name}: playbook" in estate_problems(expected_estate(PLAYBOOK), drctl, None)


def test_journal_writes_count_a_batch_of_changes_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "journal.db")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    store.append(Event("r1", "run_started", at, data={"kind": "failover", "params": {}}))
    batch = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    store.append_many([Event("r1", "change_applied", batch, "scale", {"n": i}) for i in range(5)])
    store.append(Event("r1", "step_started", datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC), "dns"))
    store.close()
    assert _journal_counts(tmp_path / "journal.db", "r1") == {
        "journal_events": 7, "journal_writes": 3}


def test_json_for_one_size_is_its_row_with_the_inputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from bench import common, failover

    row = {"services": 13, "drctl_seconds": 7.2, "sequential_seconds": 47.7, "floor_seconds": 2.9,
           "drctl_vs_sequential": 0.151, "drctl_vs_floor": 2.483, "drctl_calls": 50,
           "sequential_calls": 103}
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(failover, "measure", lambda *args: dict(row))
    assert failover.main(["--services", "10", "--latency", "50ms", "--quick", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"latency_seconds": 0.05, "route53_rate": 5.0, "repeat": 1, **row}


def test_the_floor_is_two_route53_calls_and_the_scaling_wait_within_the_burst() -> None:
    from bench.failover import floor_seconds

    assert floor_seconds(0.1, records=11) == pytest.approx(4 * 0.1 + 2.5)
    assert floor_seconds(0.05, records=201) == pytest.approx(4 * 0.05 + 2.5)
    # 1,001 records: 2,002 changes in 3 batches, 3 GetChange: 6 calls, one past the burst of
    # 5, held back 0.2 s, then its own 0.1 s
    assert floor_seconds(0.1, records=1001, rate=5) == pytest.approx(0.2 + 0.1 + 2.7)


def test_the_floor_counts_the_throttle_that_holds_calls_back() -> None:
    from bench.failover import floor_seconds

    # at 1 request/s (a burst of 1) the GetChange waits a second for the bucket
    assert floor_seconds(0.1, records=10, rate=1) == pytest.approx(1 + 0.1 + 2.7)
    # 3,000 records at 2/s: 6 batches, 12 calls, 10 past the burst of 2: 5 s
    assert floor_seconds(0.1, records=3000, rate=2) == pytest.approx(5 + 0.1 + 2.7)


def test_a_figure_not_measured_is_a_dash_in_the_table() -> None:
    from bench.common import table

    assert table(["drctl s", "seq s"], [[7.2, None]]).splitlines()[-1].split() == ["7.20", "-"]


def test_a_failed_script_run_says_why(tmp_path: Path) -> None:
    import os

    from bench.common import Sandbox
    from bench.failover import _run_script

    box = Sandbox(tmp_path, dict(os.environ), {})
    with pytest.raises(RuntimeError) as failed:
        _run_script(box, tmp_path / "missing.yaml")
    assert "the sequential script exited 1" in str(failed.value)
    assert "No such file or directory" in str(failed.value)  # its own error, not only its code
