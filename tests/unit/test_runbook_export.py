"""`drctl runbook export --format ssm`: the SSM Automation mapping, each step's required inputs
as AWS documents them, and a refusal that names every step SSM cannot express."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from drctl.cli.main import app
from drctl.core.errors import DrctlError, InvalidInput
from drctl.runbook.export_ssm import export_ssm
from drctl.runbook.load import load_runbook

ROOT = Path(__file__).resolve().parents[2]

# Required inputs per action, from the AWS Systems Manager Automation actions reference
# (docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html): executeAwsApi
# Service, Api; waitForAwsResourceProperty and assertAwsResourceProperty Service, Api,
# PropertySelector, DesiredValues (a list); approve Approvers; pause none; sleep one of
# Duration (ISO 8601) or Timestamp.
REQUIRED = {
    "aws:executeAwsApi": {"Service", "Api"},
    "aws:waitForAwsResourceProperty": {"Service", "Api", "PropertySelector", "DesiredValues"},
    "aws:assertAwsResourceProperty": {"Service", "Api", "PropertySelector", "DesiredValues"},
    "aws:approve": {"Approvers"},
    "aws:pause": set(),
    "aws:sleep": {"Duration"},
}
OUTPUT_TYPES = {"String", "Integer", "Boolean", "StringList", "StringMap", "MapList"}
MAPPING = {"aws.call": "aws:executeAwsApi", "aws.wait": "aws:waitForAwsResourceProperty",
           "aws.assert": "aws:assertAwsResourceProperty", "approve": "aws:approve",
           "manual": "aws:pause", "sleep": "aws:sleep"}


def exit_code(result: Any) -> int:
    """The code `drctl` exits with: main() maps a DrctlError to its exit code."""
    error = result.exception
    return error.exit_code if isinstance(error, DrctlError) else int(result.exit_code)


def check_document(document: dict[str, Any], runbook_path: Path) -> None:
    """The document against SSM's rules and against the runbook it came from."""
    runbook = load_runbook(runbook_path)
    assert document["schemaVersion"] == "0.3"
    guard, *steps = document["mainSteps"]
    check_region_guard(guard, runbook)
    assert [s["name"] for s in steps] == [s.id for s in runbook.steps]
    for step, source in zip(steps, runbook.steps, strict=True):
        assert step["action"] == MAPPING[source.spec.action]
        missing = REQUIRED[step["action"]] - set(step["inputs"])
        assert not missing, f"{step['name']}: {missing}"
        if "DesiredValues" in step["inputs"]:
            assert all(isinstance(v, str) for v in step["inputs"]["DesiredValues"])
        for output in step.get("outputs", []):
            assert set(output) == {"Name", "Selector", "Type"} and output["Type"] in OUTPUT_TYPES
        assert "params." not in json.dumps(step) and "steps." not in json.dumps(step)
    for name, spec in runbook.meta.params.items():
        assert document["parameters"][name]["type"] in ("String", "Integer", "Boolean",
                                                        "StringList"), spec


def check_region_guard(guard: dict[str, Any], runbook: Any) -> None:
    """SSM makes every call in the region it runs in: the first step asserts it is the
    runbook's (every AWS step of an exportable runbook names the same one)."""
    [region] = {s.spec.region for s in runbook.steps if hasattr(s.spec, "region")}
    wanted = region.replace("params.", "")  # "{{ params.region }}" is SSM's "{{ region }}"
    assert guard["name"] == "drctl-region-check"
    assert guard["action"] == "aws:assertAwsResourceProperty"
    assert guard["inputs"] == {"Service": "ec2", "Api": "DescribeAvailabilityZones",
                               "PropertySelector": "$.AvailabilityZones[0].RegionName",
                               "DesiredValues": [wanted]}


def test_a_literal_region_is_checked_and_every_step_says_where_and_what(tmp_path: Path
                                                                         ) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nid: x\ntitle: X\nparams:\n  t: {type: string, default: a}\n---\n"
                    "```drctl\nid: look\ntitle: Look\naction: aws.call\nservice: ecs\n"
                    "api: ListClusters\nregion: us-west-2\n```\n"
                    "```drctl\nid: hand\naction: manual\ninstructions: 'Drain {{ params.t }} "
                    "by hand'\n```\n"
                    "```drctl\nid: ok\naction: approve\n"
                    "summary: 'go on with {{ params.t }}'\n```\n")
    document = export_ssm(load_runbook(path))
    check_document(document, path)
    steps = {s["name"]: s for s in document["mainSteps"]}
    assert steps["drctl-region-check"]["inputs"]["DesiredValues"] == ["us-west-2"]
    assert "Start it in us-west-2" in document["description"]
    assert steps["look"]["description"] == "Look\n\necs ListClusters in us-west-2"
    assert steps["hand"]["description"] == "Drain {{ t }} by hand"  # aws:pause has no input
    assert "go on with {{ t }}" in steps["ok"]["description"]


def test_the_shipped_pitr_runbook_exports_step_for_step() -> None:
    path = ROOT / "runbooks" / "ddb-pitr-restore.md"
    document = export_ssm(load_runbook(path))
    check_document(document, path)
    steps = {s["name"]: s for s in document["mainSteps"]}
    assert steps["restore"]["inputs"]["TargetTableName"] == "{{ target_table }}"
    assert steps["approve-restore"]["inputs"]["Approvers"] == "{{ Approvers }}"
    assert document["parameters"]["Approvers"]["type"] == "StringList"
    announce = steps["announce"]["inputs"]["Message"]
    assert "{{ describe-restored.restore_point }}" in announce
    types = {o["Name"]: o["Type"] for o in steps["describe-restored"]["outputs"]}
    assert types == {"restore_point": "String", "item_count": "Integer"}
    assert steps["restore"]["inputs"]["RestoreDateTime"] == "{{ restore_to }}"
    assert "as it was at {{ restore_to }}" in steps["confirm-point"]["description"]


def test_steps_ssm_cannot_express_are_all_named(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nid: x\ntitle: X\nallow_shell: true\nparams:\n"
                    "  ratio: {type: number, default: 0.5}\n---\n"
                    "```drctl\nid: a\naction: http\nurl: http://x\n```\n"
                    "```drctl\nid: b\naction: shell\ncommand: ['true']\n```\n"
                    "```drctl\nid: c\naction: drctl\ncommand: [runs, list]\n```\n"
                    "```drctl\nid: d\naction: aws.assert\nservice: ecs\napi: ListClusters\n"
                    "region: us-east-1\nexpect: {selector: $.clusterArns, matches: road}\n```\n"
                    "```drctl\nid: e\naction: sleep\nduration: 1s\n```\n")
    with pytest.raises(InvalidInput) as caught:
        export_ssm(load_runbook(path))
    message = caught.value.message
    for part in ("a (http)", "b (shell)", "c (drctl)", "d (aws.assert): an assert with "
                 "`matches`", "param ratio: SSM has no number"):
        assert part in message
    assert "e (sleep)" not in message
    result = CliRunner().invoke(app, ["runbook", "export", str(path), "--format", "ssm",
                                      "--out", str(tmp_path / "out.json")])
    assert exit_code(result) == 2 and not (tmp_path / "out.json").exists()


def test_export_writes_yaml_or_json(tmp_path: Path) -> None:
    path = ROOT / "runbooks" / "ddb-pitr-restore.md"
    runner = CliRunner()
    out = tmp_path / "doc.yaml"
    assert runner.invoke(app, ["runbook", "export", str(path), "-f", "ssm", "-o",
                               str(out)]).exit_code == 0
    check_document(yaml.safe_load(out.read_text()), path)
    printed = runner.invoke(app, ["runbook", "export", str(path), "-f", "ssm"])
    check_document(json.loads(printed.stdout), path)
    assert exit_code(runner.invoke(app, ["runbook", "export", str(path), "-f", "xml"])) == 2
