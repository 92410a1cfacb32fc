"""`drctl report` through the CLI, in process: formats, --out, and bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drctl.cli.main import app
from drctl.core.errors import DrctlError
from tests.unit.report_journal import report_history

SINCE = ["--since", "2025-12-01T00:00:00Z"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report_history(tmp_path_factory.mktemp("state"))


def run(state: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, ["--state-dir", str(state), "report", *args])
    code = result.exception.exit_code if isinstance(result.exception, DrctlError) \
        else result.exit_code
    return code, result.stdout, result.exception


def test_json_is_one_document_with_the_issue_shape(state_dir: Path) -> None:
    code, out, _ = run(state_dir, *SINCE, "--format", "json")
    assert code == 0
    data = json.loads(out)
    kinds = {g["kind"]: g for g in data["groups"]}
    assert kinds["failover"]["runs"] == 5 and kinds["failover"]["pass_rate"] == 1.0
    assert kinds["failover"]["rto"]["worst"] == 87.0
    assert kinds["failover"]["regressions"][0]["message"] == \
        "switch_dns took 41 s, p50 of the last 4 runs 2 s"
    ages = {a["target"]: a for a in data["restore_age"]}
    assert ages["rds:roadtrip-db"]["last_validated_at"].endswith("Z")


def test_markdown_and_table_to_a_file(state_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert run(state_dir, *SINCE, "-f", "md", "--out", str(out))[0] == 0
    text = out.read_text()
    assert text.startswith("# drctl report") and "| roadtrip | failover | 5 |" in text
    table = tmp_path / "r.txt"
    assert run(state_dir, *SINCE, "--out", str(table))[0] == 0
    assert "REGRESSION failover" in table.read_text()


def test_out_without_format_writes_what_its_suffix_names(state_dir: Path, tmp_path: Path) -> None:
    """`drctl report --out report.html` wrote the terminal table into report.html."""
    for name, starts in (("r.html", "<!DOCTYPE html>"), ("R.MD", "# drctl report"),
                         ("r.json", "{")):
        assert run(state_dir, *SINCE, "--out", str(tmp_path / name))[0] == 0
        assert (tmp_path / name).read_text().lstrip().startswith(starts), name
    assert json.loads((tmp_path / "r.json").read_text())["groups"]


def test_restore_ages_list_the_default_playbooks_targets_never_drilled(
        state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # where playbooks/roadtrip.yaml, the default playbook, is
    code, out, _ = run(state_dir, *SINCE, "--json")
    assert code == 0
    ages = {a["target"]: (a["run_id"], a["message"]) for a in json.loads(out)["restore_age"]}
    drilled = ages.pop("rds:roadtrip-db")
    assert drilled[0] is not None and "last restored and validated" in drilled[1]
    assert ages == {"dynamodb:roadtrip-pois": (None, "dynamodb:roadtrip-pois: never drilled"),
                    "s3:roadtrip-media-us-east-1":
                        (None, "s3:roadtrip-media-us-east-1: never drilled")}
    code, out, _ = run(state_dir, *SINCE, "--playbook", "roadtrip")  # its name: the same
    assert "restore: dynamodb:roadtrip-pois: never drilled" in out
    assert "restore: rds:roadtrip-db: last restored and validated" in out

    monkeypatch.chdir(tmp_path)  # no default playbook here: only what the journal has
    code, out, _ = run(state_dir, *SINCE, "--json")
    assert [a["target"] for a in json.loads(out)["restore_age"]] == ["rds:roadtrip-db"]
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "roadtrip.yaml").write_text("name: [", encoding="utf-8")
    result = CliRunner().invoke(app, ["--state-dir", str(state_dir), "report", *SINCE])
    assert result.exit_code == 0  # a broken default playbook does not stop the report ...
    assert "note: playbooks/roadtrip.yaml does not load, so drill targets never drilled " \
           "are not listed" in result.stderr  # ... it says what it cannot list


def test_playbook_file_or_name(state_dir: Path) -> None:
    by_file = run(state_dir, *SINCE, "--json", "--playbook", "playbooks/roadtrip.yaml")
    by_name = run(state_dir, *SINCE, "--json", "--playbook", "roadtrip")
    assert by_file[0] == by_name[0] == 0
    assert json.loads(by_file[1])["groups"] == json.loads(by_name[1])["groups"]


@pytest.mark.parametrize(("args", "message"), [
    (["--kind", "nope"], "--kind 'nope': use one of"),
    (["--format", "pdf"], "--format 'pdf': use one of"),
    (["--since", "last week"], "--since 'last week'"),
    (["--since", "2026-01-01"], "has no UTC offset"),
    (["--playbook", "roadtrp"], "the journal has: roadtrip"),
    (["--regression-margin", "soon"], "--regression-margin"),
    (["--out", "/nonexistent-dir/r.html"], "--out /nonexistent-dir/r.html: no directory "
                                           "/nonexistent-dir"),
    (["--out", "/"], "--out /: is a directory"),
    (["--json", "--format", "md"], "--json and --format md ask for two formats: give one"),
    (["--since", "-5d"], "--since '-5d': a duration counts back from now and takes no sign: "
                         "--since 5d"),
    (["--since", "5x"], "--since '5x': give a duration back from now (30d, 12h, 90m, 1d12h) "
                        "or an ISO 8601 time with a UTC offset (2026-11-01T00:00:00Z)"),
    (["--since", "99999999d"], "reaches back before the year 1"),
])
def test_bad_input_exits_2(state_dir: Path, args: list[str], message: str) -> None:
    code, out, exc = run(state_dir, *args)
    assert code == 2
    assert message in str(exc)
    assert out == ""


def test_json_with_format_json_is_no_conflict(state_dir: Path) -> None:
    code, out, _ = run(state_dir, *SINCE, "--json", "--format", "json")
    assert code == 0 and json.loads(out)["groups"]


def show(state: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, ["--state-dir", str(state), "runs", "show", *args])
    code = result.exception.exit_code if isinstance(result.exception, DrctlError) \
        else result.exit_code
    return code, result.stdout, result.exception


def test_runs_show_markdown_has_the_summary(state_dir: Path) -> None:
    code, out, _ = show(state_dir, "fa-20260105", "--format", "md")
    assert code == 0
    assert out.startswith("# drctl failover fa-20260105")
    assert "- RTO 1m27s (target 1h00m00s, met)" in out
    assert "- slowest step: switch_dns 41.0s" in out
    assert "- REGRESSION: switch_dns took 41 s, p50 of the last 4 runs 2 s" in out
    assert "| switch_dns | succeeded |" in out


def test_runs_show_html_to_a_file(state_dir: Path, tmp_path: Path) -> None:
    page = tmp_path / "run.html"
    assert show(state_dir, "fa-20260105", "-f", "html", "--out", str(page))[0] == 0
    html = page.read_text()
    assert "fa-20260105" in html and "data:image/png;base64," in html


@pytest.mark.parametrize(("args", "message"), [
    (["fa-20260105", "--format", "pdf"], "--format 'pdf'"),
    (["fa-20260105", "--out", "x.txt"], "--out writes --format md or html"),
    (["nope", "--format", "md"], "no run 'nope'"),
    (["fa-20260105", "--format", "md", "--json"], "--json and --format md ask for two formats"),
    (["fa-20260105", "--format", "html", "--out", "/nonexistent-dir/r.html"],
     "--out /nonexistent-dir/r.html: no directory /nonexistent-dir"),
])
def test_runs_show_bad_input(state_dir: Path, args: list[str], message: str) -> None:
    code, out, exc = show(state_dir, *args)
    assert code == 2 and message in str(exc) and out == ""
