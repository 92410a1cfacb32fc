"""What the params alone show wrong is refused before anything runs (a point-in-time restore
to a time that has not come), by `runbook run` and its `--dry-run` alike; and a dry run says,
for a template it cannot render yet, the runbook's file:line, the step, the name and why.
In process on the fake Aws (these runbooks make no read-only AWS call)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from drctl.app import Collaborators
from drctl.aws.fake import FakeAws
from drctl.cli.main import run as drctl_main
from drctl.core.clock import FakeClock, iso
from drctl.core.errors import ResourceMissing
from tests.unit import fake_estate
from tests.unit.helpers import T0
from tests.unit.test_runbook_cli import runs_in

RESTORE = """---
id: pitr
title: PITR
params:
  point: {type: timestamp}
  table: {type: string, default: pois}
---
```drctl
id: restore
action: aws.call
service: dynamodb
api: RestoreTableToPointInTime
region: us-east-1
args:
  SourceTableName: "{{ params.table }}"
  TargetTableName: "{{ params.table }}-copy"
  RestoreDateTime: "{{ params.point }}"
outputs: {arn: $.TableDescription.TableArn}
```

```drctl
id: tell
action: manual
instructions: "Check {{ params.table }}-copy ({{ steps.restore.outputs.arn }})"
```
"""


@pytest.fixture
def runbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "pitr.md"
    path.write_text(RESTORE)
    return path


def drctl(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    given = Collaborators(FakeAws(fake_estate.estate(T0)), clock=FakeClock(T0))
    code = drctl_main(list(argv), given)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, " ".join(err.split())


@pytest.mark.parametrize("dry", [[], ["--dry-run"]])
def test_a_restore_point_in_the_future_is_refused_before_anything_runs(
        runbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        dry: list[str]) -> None:
    future = iso(T0 + timedelta(hours=1))
    code, out, err = drctl(capsys, "runbook", "run", str(runbook), "--param",
                           f"point={future}", *dry)
    assert code == 2, err
    assert f"{runbook}:9: step restore: RestoreTableToPointInTime RestoreDateTime {future} " \
           "(from {{ params.point }}) is in the future" in err
    assert out == "" and runs_in(tmp_path / "state") == []


def test_a_restore_point_that_is_not_a_time_is_refused(
        runbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "text.md"
    path.write_text(RESTORE.replace("{type: timestamp}", "{type: string}"))
    code, _, err = drctl(capsys, "runbook", "run", str(path), "--param", "point=yesterday")
    assert code == 2 and "RestoreDateTime yesterday (from {{ params.point }}) is not a point " \
                         "in time" in err
    assert runs_in(tmp_path / "state") == []


def test_a_dry_run_names_what_it_cannot_render_and_renders_the_rest(
        runbook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    past = iso(T0 - timedelta(minutes=5))
    code, out, err = drctl(capsys, "runbook", "run", str(runbook), "--param", f"point={past}",
                           "--dry-run", "--json")
    assert code == 0, err
    restore, tell = json.loads(out)["steps"]
    assert restore["rendered"]["args"]["RestoreDateTime"] == past
    assert "would change things: not done in a dry run" in restore["notes"]
    # The template that reads the restore's output is shown as written, the rest rendered.
    assert tell["rendered"]["instructions"] == \
        "Check {{ params.table }}-copy ({{ steps.restore.outputs.arn }})"
    [note] = tell["notes"]
    assert note == (f"{runbook}:22: step tell instructions: steps.restore.outputs.arn is not "
                    "known in a dry run: step restore changes things, so it was not run; "
                    "known when the run gets there; shown as written")
    assert "dict object" not in out + err


def test_a_real_run_names_the_missing_output_of_a_step_that_failed(
        tmp_path: Path, runbook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "went-on.md"
    path.write_text("""---
id: w
title: W
allow_shell: true
---
```drctl
id: read
action: shell
command: [sh, -c, 'exit 1']
on_failure: continue
outputs: {value: $.stdout}
```

```drctl
id: use
action: shell
command: [echo, "{{ steps.read.outputs.value }}"]
```
""")
    code, out, err = drctl(capsys, "runbook", "run", str(path), "--json")
    assert code == 2, err
    use = {s["name"]: s for s in json.loads(out)["steps"]}["use"]
    assert use["error"] == (
        f"{path}:15: step use command: steps.read.outputs.value is not defined (in "
        "'{{ steps.read.outputs.value }}'): step read failed and the run went on without its "
        "outputs (`| default(…)` gives a value for that case)")


class Reads:
    """The generic AWS API of the port, answering reads from a table (a fake, not boto3):
    DescribeTable of a table that does not exist yet fails as AWS would."""

    def call(self, service: str, api: str, region: str, args: dict[str, Any]) -> dict[str, Any]:
        if api == "DescribeContinuousBackups":
            return {"Status": "ENABLED"}
        raise ResourceMissing(f"{service} {api} in {region}: Table {args['TableName']} not found")


class ReadingAws(FakeAws):
    def api(self) -> Any:
        return Reads()


def test_a_dry_run_says_whether_checks_hold_and_why_a_read_failed(
        tmp_path: Path, runbook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "checks.md"
    path.write_text(RESTORE.replace("```drctl\nid: tell", """```drctl
id: pitr-on
action: aws.assert
service: dynamodb
api: DescribeContinuousBackups
region: us-east-1
args: {TableName: pois}
expect: {selector: $.Status, equals: DISABLED}
```

```drctl
id: copy-ready
action: aws.wait
service: dynamodb
api: DescribeTable
region: us-east-1
args: {TableName: pois-copy}
until: {selector: $.Table.TableStatus, equals: ACTIVE}
outputs: {status: $.Table.TableStatus}
```

```drctl
id: tell""").replace("steps.restore.outputs.arn", "steps['copy-ready'].outputs.status"))
    given = Collaborators(ReadingAws(fake_estate.estate(T0)), clock=FakeClock(T0))
    code = drctl_main(["runbook", "run", str(path), "--param",
                       f"point={iso(T0 - timedelta(minutes=5))}", "--dry-run", "--json"], given)
    out, err = capsys.readouterr()
    assert code == 0, err
    notes = {s["id"]: s["notes"] for s in json.loads(out)["steps"]}
    assert notes["pitr-on"][1] == \
        "$.Status == 'DISABLED': does not hold now (found 'ENABLED'): the step would fail"
    assert notes["copy-ready"] == ["read-only call ran and failed: dynamodb DescribeTable in "
                                   "us-east-1: Table pois-copy not found"]
    assert notes["tell"][0].endswith(
        "step tell instructions: steps['copy-ready'].outputs.status is not known in a dry run: "
        "step copy-ready's read-only call failed (the dry run did not do restore before it); "
        "shown as written")
