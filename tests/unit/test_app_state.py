"""Where the journal lives: one per user wherever the shell is (or --state-dir), and a shared
store when the playbook names one (`state: dynamodb://…`), unless --state says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.app import App
from drctl.core.errors import PlaybookError

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "roadtrip.yaml"

SHARED = "dynamodb://drctl-team?region=us-west-2"


def playbook(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "playbook.yaml"
    path.write_text(PLAYBOOK.read_text() + extra)
    return str(path)


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shell in a directory with no playbook and no .drctl, no state set."""
    for name in ("DRCTL_STATE_DIR", "DRCTL_STATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    shell = tmp_path / "shell"
    shell.mkdir()
    monkeypatch.chdir(shell)
    return shell


def test_the_default_journal_is_per_user_not_per_directory(elsewhere: Path,
                                                           tmp_path: Path) -> None:
    app = App.from_options(None, None)
    assert app.store_url == f"sqlite://{tmp_path / 'xdg' / 'drctl' / 'journal.db'}"
    assert app.state_dir == Path(".drctl")  # the sandbox's files stay with the directory


def test_a_state_dir_keeps_the_journal_in_it(elsewhere: Path, tmp_path: Path) -> None:
    assert App.from_options(str(tmp_path / "s"), None).store_url == \
        f"sqlite://{tmp_path / 's' / 'journal.db'}"


def test_an_old_journal_in_the_working_directory_is_still_used(elsewhere: Path) -> None:
    (elsewhere / ".drctl").mkdir()
    (elsewhere / ".drctl" / "journal.db").write_bytes(b"")
    assert App.from_options(None, None).store_url == \
        f"sqlite://{elsewhere / '.drctl' / 'journal.db'}"


def test_the_playbook_names_the_shared_store(elsewhere: Path, tmp_path: Path) -> None:
    app = App.from_options(None, None)
    app.playbook_path = playbook(tmp_path, f"\nstate: {SHARED}\n")
    assert app.store_url == SHARED


def test_state_beats_the_playbook(elsewhere: Path, tmp_path: Path) -> None:
    app = App.from_options(None, None, "dynamodb://mine?region=eu-west-1")
    app.playbook_path = playbook(tmp_path, f"\nstate: {SHARED}\n")
    assert app.store_url == "dynamodb://mine?region=eu-west-1"


def test_the_default_playbook_decides_for_commands_without_one(elsewhere: Path) -> None:
    (elsewhere / "playbooks").mkdir()
    (elsewhere / "playbooks" / "roadtrip.yaml").write_text(
        PLAYBOOK.read_text() + f"\nstate: {SHARED}\n")
    assert App.from_options(None, None).store_url == SHARED


def test_a_broken_default_playbook_does_not_break_other_commands(elsewhere: Path) -> None:
    (elsewhere / "playbooks").mkdir()
    (elsewhere / "playbooks" / "roadtrip.yaml").write_text("name: [")
    assert App.from_options(None, None).store_url.startswith("sqlite://")


def test_a_bad_state_is_a_playbook_error_at_its_line(elsewhere: Path, tmp_path: Path) -> None:
    app = App.from_options(None, None)
    app.playbook_path = playbook(tmp_path, "\nstate: s3://bucket\n")
    with pytest.raises(PlaybookError, match=r"playbook.yaml:\d+: state: 's3://bucket': a shared "
                                            r"store is dynamodb://TABLE\?region=REGION"):
        _ = app.store_url
