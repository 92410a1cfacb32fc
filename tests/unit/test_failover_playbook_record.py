"""A failover resumes with the playbook it started with — from any directory, by its recorded
absolute path or a copy with the same content — and refuses another one, showing the change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drctl.core.errors import InvalidInput
from drctl.failover.playbook_record import playbook_for_resume, record

TEXT = "name: roadtrip\nscale:\n  autoscaling:\n    - group: roadtrip-workers\n      desired: 4\n"


def started_in(directory: Path) -> dict[str, str]:
    (directory / "playbooks").mkdir()
    (directory / "playbooks" / "p.yaml").write_text(TEXT)
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        return record("playbooks/p.yaml")  # relative, as the operator typed it
    finally:
        os.chdir(cwd)


def test_the_recorded_path_is_absolute_and_found_from_anywhere(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    params = started_in(tmp_path)
    assert params["playbook_path"] == str(tmp_path / "playbooks" / "p.yaml")
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert playbook_for_resume("fo-1", params, None) == params["playbook_path"]


def test_a_copy_with_the_same_content_is_accepted(tmp_path: Path) -> None:
    params = started_in(tmp_path)
    copy = tmp_path / "copy.yaml"
    copy.write_text(TEXT)
    assert playbook_for_resume("fo-1", params, str(copy)) == str(copy)


def test_a_changed_playbook_is_refused_with_the_difference(tmp_path: Path) -> None:
    params = started_in(tmp_path)
    Path(params["playbook_path"]).write_text(TEXT.replace("desired: 4", "desired: 20"))
    with pytest.raises(InvalidInput) as refused:
        playbook_for_resume("fo-1", params, None)
    assert refused.value.exit_code == 2
    assert "is not the playbook run fo-1 started with" in str(refused.value)
    hint = refused.value.hint or ""
    assert "-      desired: 4" in hint and "+      desired: 20" in hint
    assert "`drctl runs abort fo-1 --reason \"…\"`" in hint


def test_a_playbook_that_is_gone_says_how_to_give_a_copy(tmp_path: Path) -> None:
    params = started_in(tmp_path)
    Path(params["playbook_path"]).unlink()
    with pytest.raises(InvalidInput, match="cannot read the playbook") as refused:
        playbook_for_resume("fo-1", params, None)
    assert "`drctl failover --resume fo-1 --playbook COPY`" in (refused.value.hint or "")


def test_a_playbook_that_is_gone_is_restored_from_the_journal(tmp_path: Path) -> None:
    params = started_in(tmp_path)
    Path(params["playbook_path"]).unlink()
    restored = playbook_for_resume("fo-1", params, None, restore_dir=tmp_path / "state")
    assert restored == str(tmp_path / "state" / "fo-1.yaml")
    assert Path(restored).read_text() == TEXT


def test_no_journaled_copy_or_a_missing_copy_given_is_not_restored(tmp_path: Path) -> None:
    params = started_in(tmp_path)
    Path(params["playbook_path"]).unlink()
    with pytest.raises(InvalidInput, match="cannot read the playbook"):  # a typo is a typo
        playbook_for_resume("fo-1", params, str(tmp_path / "nope.yaml"), tmp_path / "state")
    older = {k: v for k, v in params.items() if k != "playbook_text"}
    with pytest.raises(InvalidInput, match="cannot read the playbook"):
        playbook_for_resume("fo-1", older, None, restore_dir=tmp_path / "state")
    assert not (tmp_path / "state").exists()


def test_a_run_journaled_before_hashes_resumes_with_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(TEXT)
    assert playbook_for_resume("fo-1", {"playbook_path": str(path)}, None) == str(path)
