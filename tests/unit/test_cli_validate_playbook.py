"""`drctl validate` takes the playbook as every other command does (--playbook), or as its
argument; two different ones are refused with a hint that works."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drctl.cli.main import run

ROADTRIP = Path(__file__).parents[2] / "playbooks" / "roadtrip.yaml"


@pytest.fixture()
def playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "experiments").symlink_to(ROADTRIP.parents[1] / "experiments")
    (tmp_path / "playbooks").mkdir()
    copy = tmp_path / "playbooks" / "mine.yaml"   # its schedules' ../experiments/ resolve
    shutil.copy(ROADTRIP, copy)
    return copy


@pytest.mark.parametrize("form", [["--playbook"], ["-p"], []])
def test_the_option_and_the_argument_check_the_same_file(
        playbook: Path, form: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "--offline", *form, str(playbook)]) == 0
    assert f"{playbook}: roadtrip is valid" in capsys.readouterr().out


def test_two_different_playbooks_are_refused_and_the_hint_works(
        playbook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "--offline", "other.yaml", "--playbook", str(playbook)]) == 2
    err = capsys.readouterr().err
    assert "two playbooks given" in err
    hint = err.split("hint: ", 1)[1].strip()
    assert hint == f"drctl validate --playbook {playbook}"
    assert run([*hint.split()[1:], "--offline"]) == 0


def test_a_schedule_whose_experiment_is_missing_is_a_problem_at_its_line(
        playbook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The controller leaves such a schedule out: validate must not call the playbook valid."""
    text = playbook.read_text()
    playbook.write_text(text.replace("../experiments/asg-worker-stop.json",
                                     "../experiments/asg-worker-stpo.json", 1))
    line = next(n for n, row in enumerate(playbook.read_text().splitlines(), start=1)
                if "asg-worker-stpo" in row)
    assert run(["validate", "--offline", str(playbook)]) == 2
    out, err = capsys.readouterr()
    assert f"✗ {playbook}:{line}: schedule 'worker-stop': chaos experiment " in out
    assert "asg-worker-stpo.json does not exist" in out and "is valid" not in out
    assert f"{playbook}: 1 problem(s) with its schedules" in err
    assert run(["schedule", "list", "--playbook", str(playbook)]) == 0
    assert f"not served: {playbook}:{line}: schedule 'worker-stop'" in capsys.readouterr().out
