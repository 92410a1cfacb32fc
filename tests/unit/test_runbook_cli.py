"""`drctl runbook` in process: bad input is exit 2 with nothing run, the shipped runbooks lint
clean (strict), and the timeline of a run in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from drctl.cli.main import app
from drctl.core.errors import DrctlError
from drctl.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = """---
id: t
title: T
allow_shell: true
params:
  table: {type: string}
  count: {type: integer, default: 1}
---
```drctl
id: touch
action: shell
command: [sh, -c, 'echo {{ params.table }} >> {{ params.count }}.log']
```

```drctl
id: look
action: manual
```
"""


def invoke(state: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, ["--state-dir", str(state), *args])
    error = result.exception
    code = error.exit_code if isinstance(error, DrctlError) else int(result.exit_code)
    return code, result


def runs_in(state: Path) -> list[str]:
    if not (state / "journal.db").exists() and not any(state.glob("*.db")):
        return []
    store = SqliteStore(next(state.glob("*.db")))
    try:
        return store.run_ids("runbook")
    finally:
        store.close()


@pytest.mark.parametrize(("args", "says"), [
    (["--param", "table=t", "--param", "colour=red"], "unknown param 'colour'"),
    ([], "param table (string) is required"),
    (["--param", "table=t", "--param", "count=many"], "param count: 'many' is not of type integer"),
    (["--param", "table"], "write it as NAME=VALUE"),
])
def test_bad_params_are_exit_2_and_run_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               args: list[str], says: str) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "t.md"
    path.write_text(RUNBOOK)
    code, result = invoke(tmp_path / "state", "runbook", "run", str(path), *args)
    assert code == 2, result.output
    assert says in str(result.exception)
    assert runs_in(tmp_path / "state") == [] and not list(tmp_path.glob("*.log"))


@pytest.mark.parametrize(("name", "text", "says"), [
    ("notes.txt", RUNBOOK, "not a runbook"),
    ("missing.md", None, "cannot read runbook"),
    ("prose.md", "# Just prose\n\nNo front matter, no steps.\n", "no YAML front matter"),
    ("broken.runbook.yaml", "id: [x\n", "not valid YAML"),
])
def test_a_file_that_is_not_a_runbook_is_exit_2(tmp_path: Path, name: str, text: str | None,
                                                says: str) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    code, result = invoke(tmp_path / "state", "runbook", "run", str(path))
    assert code == 2
    assert says in str(result.exception) and str(path) in str(result.exception)
    assert runs_in(tmp_path / "state") == []


def test_the_shipped_runbooks_lint_clean_even_strictly() -> None:
    result = CliRunner().invoke(app, ["runbook", "lint", "--strict", "--json", "--dir",
                                      str(ROOT / "runbooks")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {Path(r["path"]).name for r in data["runbooks"]} == {
        "region-failover.md", "failback.md", "ddb-pitr-restore.md", "rds-snapshot-restore.md",
        "chaos-gameday.md"}


def test_timeline_of_a_run_in_every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "t.md"
    path.write_text(RUNBOOK.replace("action: manual", "action: sleep\nduration: 1s"))
    code, result = invoke(tmp_path / "state", "runbook", "run", str(path), "--json",
                          "--param", "table=pois", "--param", "count=3")
    assert code == 0, result.output
    run = json.loads(result.stdout)
    assert (tmp_path / "3.log").read_text() == "pois\n"
    assert runs_in(tmp_path / "state") == [run["run_id"]]  # the helper sees runs
    code, md = invoke(tmp_path / "state", "runbook", "timeline", run["run_id"])
    assert code == 0 and "| touch | succeeded |" in md.stdout
    code, js = invoke(tmp_path / "state", "runbook", "timeline", run["run_id"], "-f", "json")
    entries = json.loads(js.stdout)["entries"]
    assert [(e["step"], e["status"]) for e in entries] == [("touch", "succeeded"),
                                                           ("look", "succeeded")]
    code, table = invoke(tmp_path / "state", "runbook", "timeline", run["run_id"], "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["step"] for r in rows] == ["touch", "look"] and rows[0]["duration_seconds"]
    assert invoke(tmp_path / "state", "runbook", "timeline", run["run_id"], "-f", "pdf")[0] == 2


def test_run_unattended_is_one_call_for_a_scheduler(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from drctl.app import App
    from drctl.core.errors import InvalidInput
    from drctl.core.run import RunStatus
    from drctl.runbook.service import run_unattended

    monkeypatch.chdir(tmp_path)
    app_ = App(tmp_path / "state")
    path = tmp_path / "t.md"
    path.write_text(RUNBOOK)
    with pytest.raises(InvalidInput, match="waits for a person at look"):
        run_unattended(app_, path, {"table": "x"}, playbook_path="none.yaml")
    path.write_text(RUNBOOK.replace("action: manual", "action: sleep\nduration: 1s"))
    playbook = str(ROOT / "playbooks" / "roadtrip.yaml")
    with pytest.raises(InvalidInput, match="is not of type integer"):
        run_unattended(app_, path, {"table": "x", "count": "a"}, playbook_path=playbook)
    missing = "no-such-playbook.yaml"
    with pytest.raises(InvalidInput, match=missing):
        run_unattended(app_, path, {"table": "x"}, playbook_path=missing)
    app_.interrupt.request_stop("controller shutdown")
    with pytest.raises(KeyboardInterrupt):
        run_unattended(app_, path, {"table": "x"}, playbook_path=playbook)
    [run_id] = app_.store.run_ids("runbook")
    from drctl.store.base import load_run
    run = load_run(app_.store, run_id)
    assert run.status is RunStatus.INTERRUPTED and "controller shutdown" in str(run.error)
    assert not list(tmp_path.glob("*.log"))  # stopped before its first step


def through_main(capsys: pytest.CaptureFixture[str], state: Path, *argv: str
                 ) -> tuple[int, str, str]:
    """drctl as a user runs it (drctl.cli.main.run: errors mapped to codes and documents)."""
    from drctl.cli.main import run as drctl

    code = drctl(["--state-dir", str(state), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_timeline_and_export_take_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "t.md"
    path.write_text(RUNBOOK.replace("action: manual", "action: sleep\nduration: 1s"))
    code, out, _ = through_main(capsys, tmp_path / "state", "runbook", "run", str(path),
                                "--json", "--param", "table=pois")
    run_id = json.loads(out)["run_id"]
    code, out, _ = through_main(capsys, tmp_path / "state", "runbook", "timeline", run_id,
                                "--json")
    assert code == 0 and [e["step"] for e in json.loads(out)["entries"]] == ["touch", "look"]
    code, out, _ = through_main(capsys, tmp_path / "state", "runbook", "timeline", run_id,
                                "--json", "--format", "csv")
    assert code == 2 and json.loads(out)["exit_code"] == 2
    shipped = str(ROOT / "runbooks" / "ddb-pitr-restore.md")
    code, out, _ = through_main(capsys, tmp_path / "state", "runbook", "export", shipped,
                                "--format", "ssm", "--json")
    assert code == 0 and json.loads(out)["schemaVersion"] == "0.3"
    written = tmp_path / "doc.yaml"
    code, out, _ = through_main(capsys, tmp_path / "state", "runbook", "export", shipped,
                                "--format", "ssm", "--json", "--out", str(written))
    assert code == 0 and json.loads(out)["path"] == str(written) and written.is_file()


@pytest.mark.parametrize(("argv", "code"), [
    (["runbook", "timeline", "no-such-run", "--json"], 2),
    (["runbook", "export", "missing.md", "--format", "ssm", "--json"], 2),
    (["runbook", "export", "{shipped}/chaos-gameday.md", "--format", "ssm", "--json"], 2),
    (["runbook", "run", "missing.md", "--json"], 2),
    (["runbook", "resume", "no-such-run", "--json"], 2),
    (["runbook", "ack", "no-such-run", "--json"], 2),
    (["runbook", "list", "--dir", "no-such-dir", "--json"], 2),
    (["runbook", "lint", "--playbook", "no-such.yaml", "--json"], 2),
])
def test_with_json_an_error_is_one_json_document_on_stdout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], code: int) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{shipped}", str(ROOT / "runbooks")) for a in argv]
    got, out, err = through_main(capsys, tmp_path / "state", *argv)
    document = json.loads(out)  # exactly one document: json.loads refuses two
    assert got == code and document["exit_code"] == code and document["error"]
    assert document["error"] in " ".join(err.split()) or "error:" in err  # people read stderr


def test_a_typo_in_a_command_gets_a_hint_that_works(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    code, _, err = through_main(capsys, tmp_path / "state", "runbok", "list", "--help")
    assert code == 2 and "Did you mean 'runbook'" in err
    hint = err.split("hint: see `", 1)[1].split("`", 1)[0]
    assert "runbok" not in hint
    assert through_main(capsys, tmp_path / "state", *hint.split()[1:])[0] == 0  # it works
    code, _, err = through_main(capsys, tmp_path / "state", "runbook", "lsit")
    assert code == 2 and "hint: see `drctl runbook --help`" in err


@pytest.mark.parametrize(("given", "typed"), [
    ("2026-12-01T09:11:00Z", "2026-12-01T09:11:00.000Z"),
    ("2026-12-01T10:11:00.5+01:00", "2026-12-01T09:11:00.500Z"),
    ("yesterday", None), ("2026-12-01T09:11:00", None),  # no offset: which 09:11?
])
def test_a_timestamp_param_is_iso_8601_with_its_offset(tmp_path: Path, given: str,
                                                       typed: str | None) -> None:
    from drctl.core.errors import InvalidInput
    from drctl.runbook.load import load_runbook
    from drctl.runbook.params import resolve_params

    path = tmp_path / "t.md"
    path.write_text(RUNBOOK.replace("  count: {type: integer, default: 1}\n",
                                    "  count: {type: integer, default: 1}\n"
                                    "  at: {type: timestamp}\n"))
    book = load_runbook(path)
    if typed is None:
        with pytest.raises(InvalidInput, match=r"is not of type timestamp \(ISO 8601 with its "
                                               "offset"):
            resolve_params(book, {"table": "t", "at": given})
    else:
        assert resolve_params(book, {"table": "t", "at": given})["at"] == typed
