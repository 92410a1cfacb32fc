"""`python -m bench journal` writes its figures to results/journal.json like every benchmark
(it only printed them: BENCHMARKS.md's journal figures had no result file behind them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import common, journal


def test_the_journal_benchmark_writes_its_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    assert journal.main(["--quick"]) == 0
    result = json.loads((tmp_path / "journal.json").read_text())
    assert result["rounds"] == 2 and result["events_per_round"] == journal.EVENTS
    assert set(result["append_us"]) == {"sqlite FULL (drctl)", "sqlite NORMAL", "memory"}
    assert all(us > 0 for us in result["append_us"].values())
    assert result["machine"]["cpus"] and result["fold_events"] == journal.EVENTS + 1
    out = capsys.readouterr().out
    assert str(tmp_path / "journal.json") in out and "sqlite FULL (drctl)" in out


def test_json_prints_the_result_document_and_no_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    assert journal.main(["--quick", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "journal.json").read_text())
