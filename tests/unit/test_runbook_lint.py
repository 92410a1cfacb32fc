"""`drctl runbook lint`: each problem the issue lists is caught, with the file:line it is on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drctl.cli.main import app
from drctl.runbook.lint import lint_runbook

FRONT = """---
id: t
title: A test runbook
last_validated: {validated}
params:
  region: {{type: string, default: us-east-1}}
  count: {{type: integer, default: 2}}
{extra}---
Some prose.
"""


def write(tmp_path: Path, *blocks: str, validated: str | None = None, extra: str = "",
          name: str = "t.md") -> Path:
    text = FRONT.format(validated=validated or date.today().isoformat(), extra=extra)
    for block in blocks:
        text += f"\nProse before.\n\n```drctl\n{block.strip()}\n```\n"
    path = tmp_path / name
    path.write_text(text)
    return path


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if needle in line]
    return lines[nth - 1]


def problems(path: Path, **kwargs: object) -> list[str]:
    return [str(p) for p in lint_runbook(path, **kwargs).problems]  # type: ignore[arg-type]


SLEEP = "id: {id}\naction: sleep\nduration: 1s"


def test_a_clean_runbook_has_no_problem(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), "id: b\naction: aws.call\nservice: ecs\n"
                 "api: DescribeServices\nregion: '{{ params.region }}'\n"
                 "args: {cluster: roadtrip, services: [api]}\n"
                 "outputs: {desired: '$.services[0].desiredCount'}",
                 "id: c\naction: sleep\nduration: 1s\nskip_if: '{{ steps.b.outputs.desired > 1 }}'")
    assert problems(path) == []


def test_unknown_action_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "id: a\naction: aws.cal\nservice: ecs")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, 'aws.cal')}: error: unknown action")
    assert "did you mean aws.call?" in problem


def test_unknown_field(tmp_path: Path) -> None:
    path = write(tmp_path, "id: a\naction: sleep\nduration: 1s\ndurtion: 2s")
    assert problems(path) == [f"{path}:{line_of(path, 'durtion')}: error: durtion: unknown field"]


def test_bad_yaml_in_one_block_names_that_block(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), "id: b\naction: sleep\nduration: [1s",
                 SLEEP.format(id="c"))
    [problem] = problems(path)
    block_start = line_of(path, "id: b")
    line = int(problem.split(":")[1])
    assert block_start <= line <= block_start + 3, problem
    assert "not valid YAML" in problem


def test_a_key_given_twice_in_a_block(tmp_path: Path) -> None:
    path = write(tmp_path, "id: a\naction: sleep\nduration: 1s\nduration: 2s")
    [problem] = problems(path)
    assert problem == f"{path}:{line_of(path, 'duration', 2)}: error: duplicate key 'duration'"


def test_duplicate_step_ids(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), SLEEP.format(id="a"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, 'id: a', 2)}: error: duplicate step id")


@pytest.mark.parametrize(("template", "says"), [
    ("{{ params.regoin }}", "no param 'regoin'"),
    ("{{ steps.a.outputs.nope }}", "step a has no output 'nope'"),
    ("{{ steps.later.outputs.x }}", "no step 'later' before this one"),
    ("{{ region }}", "unknown name"),
])
def test_an_unresolved_template_name(tmp_path: Path, template: str, says: str) -> None:
    path = write(tmp_path, "id: a\naction: aws.call\nservice: ecs\napi: ListClusters\n"
                 "region: us-east-1\noutputs: {arns: $.clusterArns}",
                 f"id: b\naction: aws.call\nservice: ecs\napi: ListClusters\n"
                 f"region: '{template}'", "id: later\naction: sleep\nduration: 1s\n"
                 "outputs: {x: $.slept_seconds}")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, 'id: b')}: error: step b region:")
    assert says in problem


def test_goto_a_missing_step_and_backwards(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"),
                 "id: b\naction: sleep\nduration: 1s\non_failure: goto:nowhere",
                 "id: c\naction: sleep\nduration: 1s\non_failure: goto:a")
    assert problems(path) == [
        f"{path}:{line_of(path, 'id: b')}: error: step b: on_failure goto:nowhere: no such step",
        f"{path}:{line_of(path, 'id: c')}: error: step c: on_failure goto:a: goto jumps forward "
        "only (a loop could run forever)"]


def test_shell_needs_allow_shell(tmp_path: Path) -> None:
    step = "id: a\naction: shell\ncommand: ['true']"
    path = write(tmp_path, step)
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, 'id: a')}: error: step a is a shell step")
    assert problems(write(tmp_path, step, extra="allow_shell: true\n", name="ok.md")) == []


def test_an_api_aws_does_not_have(tmp_path: Path) -> None:
    path = write(tmp_path, "id: a\naction: aws.call\nservice: ecs\napi: DescribeServicez\n"
                 "region: us-east-1")
    [problem] = problems(path)
    assert "ecs has no API 'DescribeServicez'" in problem


def test_stale_last_validated_is_a_warning_that_strict_makes_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), validated="2026-01-01")
    [problem] = problems(path, today=date(2026, 6, 1))
    assert problem.startswith(f"{path}:1: warning: last_validated 2026-01-01 is 151 days ago")
    runner = CliRunner()
    loose = runner.invoke(app, ["runbook", "lint", str(path)])
    strict = runner.invoke(app, ["runbook", "lint", "--strict", str(path)])
    assert (loose.exit_code, strict.exit_code) == (0, 2), loose.output + strict.output
    assert "warning: last_validated" in strict.output


def test_a_scheduled_runbook_must_not_wait_for_people(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), "id: ask\naction: manual")
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(f"schedules:\n  - name: nightly\n    every: 1h\n    runbook: {path.name}\n")
    assert problems(path) == []
    result = CliRunner().invoke(app, ["runbook", "lint", "--json", "--playbook", str(playbook),
                                      str(path)])
    assert result.exit_code == 2
    [problem] = json.loads(result.stdout)["runbooks"][0]["problems"]
    assert problem["location"] == f"{path}:{line_of(path, 'id: ask')}"
    assert "controller schedules this runbook" in problem["message"]


def test_lint_exit_codes_and_one_json_document(tmp_path: Path) -> None:
    good = write(tmp_path, SLEEP.format(id="a"), name="good.md")
    bad = write(tmp_path, "id: a\naction: nope", name="bad.md")
    runner = CliRunner()
    assert runner.invoke(app, ["runbook", "lint", str(good)]).exit_code == 0
    result = runner.invoke(app, ["runbook", "lint", "--json", str(good), str(bad),
                                 str(tmp_path / "missing.md"), str(tmp_path / "x.txt")])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [len(r["problems"]) for r in data["runbooks"]] == [0, 1, 1, 1]
    assert "cannot read" in data["runbooks"][2]["problems"][0]["message"]
    assert "not a runbook" in data["runbooks"][3]["problems"][0]["message"]


def test_a_yaml_runbook_is_the_same_steps(tmp_path: Path) -> None:
    path = tmp_path / "t.runbook.yaml"
    path.write_text("id: t\ntitle: T\nlast_validated: 2026-11-01\nsteps:\n"
                    "  - {id: a, action: sleep, duration: 1s}\n"
                    "  - id: b\n    action: sleep\n    duraton: 1s\n")
    report = lint_runbook(path, today=date(2026, 11, 2))
    assert [str(p) for p in report.problems] == [
        f"{path}:6: error: duration: required field is missing",
        f"{path}:8: error: duraton: unknown field"]


def test_measures_name_steps_and_outputs_that_exist(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), extra="measures:\n  recovery: nope\n"
                 "  recovery_point: a.restored_at\n")
    assert problems(path) == [
        f"{path}:1: error: measures.recovery: no step 'nope'",
        f"{path}:{line_of(path, 'id: a')}: error: measures read steps.a.outputs.restored_at, "
        "but step a has no such output"]


@pytest.mark.parametrize(("block", "opened"), [
    ("id: b\naction: sleep\nduration: 1s\ntitle: \"unterminated", "title: \"unt"),
    ("id: b\naction: sleep\nduration: [1s\non_failure: continue", "duration: [1s"),
    ("id: b\naction: sleep\nduration: 1s\nretry: {attempts: 2\non_failure: continue",
     "retry: {"),
])
def test_bad_yaml_names_the_line_that_opened_what_is_not_closed(
        tmp_path: Path, block: str, opened: str) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), block)
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, opened)}: error: not valid YAML"), problem
    assert "is not closed" in problem


def test_bad_yaml_in_the_front_matter_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("---\nid: t\ntitle: T\nparams:\n  x: {type: string, default: a\n"
                    "  y: {type: string}\n---\n```drctl\nid: a\naction: sleep\n"
                    "duration: 1s\n```\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:5: error: not valid YAML: a {{ opened"), problem


def test_a_missing_goto_is_reported_beside_the_steps_other_errors(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"),
                 "id: b\naction: sleep\nduration: forever\ncolour: red\non_failure: goto:nowhere")
    found = problems(path)
    step = line_of(path, "id: b")
    assert f"{path}:{step}: error: step b: on_failure goto:nowhere: no such step" in found
    assert f"{path}:{line_of(path, 'colour')}: error: colour: unknown field" in found
    assert any("not a duration: 'forever'" in p for p in found)


def test_a_broken_front_matter_does_not_hide_the_steps_problems(tmp_path: Path) -> None:
    path = write(tmp_path, SLEEP.format(id="a"), SLEEP.format(id="a"),
                 "id: c\naction: sleep\nduration: 1s\non_failure: goto:nowhere",
                 extra="colour: red\n")
    found = problems(path)
    assert found[0] == f"{path}:{line_of(path, 'colour')}: error: colour: unknown field"
    assert any(f":{line_of(path, 'id: a', 2)}: error: duplicate step id 'a'" in p for p in found)
    assert any("goto:nowhere: no such step" in p for p in found)


def test_a_later_step_may_read_an_earlier_broken_steps_outputs(tmp_path: Path) -> None:
    """Only the broken step is reported: no false 'no step a before this one'."""
    path = write(tmp_path, "id: a\naction: aws.call\nservice: ecs\napi: ListClusters\n"
                 "region: us-east-1\ncolour: red\noutputs: {arns: $.clusterArns}",
                 "id: b\naction: sleep\nduration: 1s\nskip_if: '{{ steps.a.outputs.arns }}'")
    assert problems(path) == [f"{path}:{line_of(path, 'colour')}: error: colour: unknown field"]


def test_templated_durations_are_checked_like_any_template(tmp_path: Path) -> None:
    path = write(tmp_path, "id: a\naction: sleep\nduration: '{{ params.count }}s'\n"
                 "timeout: '{{ params.wait }}'")
    [problem] = problems(path)
    assert "step a timeout: params.wait: no param 'wait'" in problem
    assert problems(write(tmp_path, "id: a\naction: sleep\nduration: soon", name="b.md")) == [
        f"{tmp_path / 'b.md'}:{line_of(tmp_path / 'b.md', 'soon')}: error: duration: not a "
        "duration: 'soon' (use a number with a unit: 250ms, 90s, 15m, 1h, 1h30m)"]
